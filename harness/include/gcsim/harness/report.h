// What `gcsim run` prints and writes: a table for people, JUnit XML for CI, JSON for tools.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/common/status.h"
#include "gcsim/harness/runner.h"

namespace gcsim::harness {

// One row per scenario (scenario, result, simulated time, wall time, drops, requests), then
// for each failure what was expected, what happened and the journal lines that matter.
// `verbose`: the whole journal of each failing scenario too.
// PASS, FAIL, XFAIL (an expectFailure scenario that failed as expected) or ERROR.
const char* Verdict(const ScenarioResult& result);

void PrintReport(std::ostream& out, const std::vector<ScenarioResult>& results, bool verbose);

// The run's figures as a JSON object keyed by metric name; counts stay whole numbers.
nlohmann::json MetricsJson(const RunMetrics& metrics);

Status WriteJunit(const std::string& path, const std::vector<ScenarioResult>& results);
Status WriteJson(const std::string& path, const std::vector<ScenarioResult>& results);

}  // namespace gcsim::harness
