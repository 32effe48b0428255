// `gcsim run --html FILE`: one self-contained HTML page (inline CSS and SVG, no scripts) with a
// picture of each scenario: a timeline per leg (heard, silent, muted, held, the idle threshold,
// the reaper's ticks, each PATCH and drop and when it landed, warnings such as stuck), failures
// with their expectation; for scenarios with more than kMaxTracedLegs legs, the lateness
// histogram and the requests over time instead.
#pragma once

#include <string>
#include <vector>

#include "gcsim/common/status.h"
#include "gcsim/harness/runner.h"

namespace gcsim::harness {

// The page. Results run without RunOptions::trace get their table row and failures only.
std::string HtmlReport(const std::vector<ScenarioResult>& results);

Status WriteHtml(const std::string& path, const std::vector<ScenarioResult>& results);

}  // namespace gcsim::harness
