// Time types and their text forms: durations as people write them ("10m30s") and instants as
// the Genesys API writes them ("2026-01-01T09:00:00.000Z").
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "gcsim/common/status.h"

namespace gcsim {

// Millisecond resolution everywhere: the API's timestamps carry milliseconds.
using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Duration>;

// Parses "250ms", "15s", "10m", "1h30m", "10m30s", "1.5s", "0". Units: h, m, s, ms.
// Anything else (empty, negative, unknown unit, number without unit) is an error, never zero.
Result<Duration> ParseDuration(std::string_view text);

// The inverse of ParseDuration: "10m30s", "250ms", "1h0m5s" -> "1h5s", zero -> "0s".
std::string FormatDuration(Duration d);

// ISO-8601 UTC with milliseconds: "2026-01-01T09:00:00.000Z".
std::string FormatIso8601(TimePoint t);

// Accepts "2026-01-01T09:00:00Z" and "2026-01-01T09:00:00.123Z".
Result<TimePoint> ParseIso8601(std::string_view text);

}  // namespace gcsim
