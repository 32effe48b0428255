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

// The instants the API's timestamps can write (four-digit years). The clock never leaves this
// range, and no duration is longer than it: together they keep time arithmetic far from
// int64 overflow and every timestamp well formed.
inline constexpr TimePoint kEarliestTime{std::chrono::sys_days{std::chrono::year{0} / 1 / 1}};
inline constexpr TimePoint kLatestTime{std::chrono::sys_days{std::chrono::year{9999} / 12 / 31} +
                                       std::chrono::days{1} - Duration{1}};
inline constexpr Duration kMaxDuration = kLatestTime - kEarliestTime;

// Parses "250ms", "15s", "10m", "1h30m", "10m30s", "1.5s", "0". Units: h, m, s, ms; fractions
// round to the nearest millisecond. Anything else (empty, negative, unknown unit, number without
// unit, longer than kMaxDuration) is an error, never zero. Never throws, whatever the text.
Result<Duration> ParseDuration(std::string_view text);

// The inverse of ParseDuration: "10m30s", "250ms", "1h0m5s" -> "1h5s", zero -> "0s".
std::string FormatDuration(Duration d);

// ISO-8601 UTC with milliseconds: "2026-01-01T09:00:00.000Z". Outside kEarliestTime..kLatestTime
// (which the clock never leaves) the year gets a sign and as many digits as it needs.
std::string FormatIso8601(TimePoint t);
// FormatIso8601 written onto the end of `out`, for writers that build a body as they go.
void AppendIso8601(std::string& out, TimePoint t);

// HTTP's Date header (RFC 9110's IMF-fixdate), in whole seconds: "Thu, 01 Jan 2026 09:00:00 GMT".
std::string FormatHttpDate(TimePoint t);
// The IMF-fixdate form alone, as servers send it; anything else is an error.
Result<TimePoint> ParseHttpDate(std::string_view text);

// Where `from + by` would leave kEarliestTime..kLatestTime, an error saying so; else ok.
Status CheckTimeRange(TimePoint from, Duration by);

// Accepts "2026-01-01T09:00:00Z" and "2026-01-01T09:00:00.123Z".
Result<TimePoint> ParseIso8601(std::string_view text);

}  // namespace gcsim
