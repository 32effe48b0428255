#include "gcsim/common/time.h"

#include <cctype>
#include <cstdio>

namespace gcsim {
namespace {

bool ParseUnsigned(std::string_view text, size_t& pos, int digits, int& out) {
  out = 0;
  for (int i = 0; i < digits; ++i, ++pos) {
    if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos]))) return false;
    out = out * 10 + (text[pos] - '0');
  }
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return InvalidArgumentError("empty duration; write e.g. \"10m\" or \"250ms\"");
  if (text == "0") return Duration::zero();
  double total_ms = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    bool seen_dot = false;
    while (pos < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[pos])) || (text[pos] == '.' && !seen_dot))) {
      seen_dot |= text[pos] == '.';
      ++pos;
    }
    if (pos == start || (pos - start == 1 && seen_dot)) {
      return InvalidArgumentError("bad duration " + quoted + ": expected a number at offset " +
                                  std::to_string(start));
    }
    const double number = std::stod(std::string(text.substr(start, pos - start)));
    const size_t unit_start = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    const std::string_view unit = text.substr(unit_start, pos - unit_start);
    double scale = 0;
    if (unit == "h") scale = 3'600'000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "s") scale = 1'000;
    else if (unit == "ms") scale = 1;
    else if (unit.empty()) {
      return InvalidArgumentError("bad duration " + quoted + ": number without a unit (h, m, s, ms)");
    } else {
      return InvalidArgumentError("bad duration " + quoted + ": unknown unit \"" +
                                  std::string(unit) + "\" (use h, m, s, ms)");
    }
    total_ms += number * scale;
  }
  if (total_ms > 1e15) return InvalidArgumentError("bad duration " + quoted + ": too long");
  return Duration(static_cast<int64_t>(total_ms + 0.5));
}

std::string FormatDuration(Duration d) {
  if (d == Duration::zero()) return "0s";
  std::string out;
  if (d < Duration::zero()) {
    out = "-";
    d = -d;
  }
  const auto h = std::chrono::duration_cast<std::chrono::hours>(d);
  d -= h;
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(d);
  d -= m;
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d);
  d -= s;
  if (h.count()) out += std::to_string(h.count()) + "h";
  if (m.count()) out += std::to_string(m.count()) + "m";
  if (s.count()) out += std::to_string(s.count()) + "s";
  if (d.count()) out += std::to_string(d.count()) + "ms";
  return out;
}

std::string FormatIso8601(TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(days);
  const int64_t ms = (t - days).count();
  // Written digit by digit: every response carries timestamps, and snprintf is slow.
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](size_t end, int64_t value, int digits) {
    for (int i = 0; i < digits; ++i, value /= 10) out[end - i] = static_cast<char>('0' + value % 10);
  };
  put(3, static_cast<int>(ymd.year()), 4);
  put(6, static_cast<unsigned>(ymd.month()), 2);
  put(9, static_cast<unsigned>(ymd.day()), 2);
  put(12, ms / 3'600'000, 2);
  put(15, ms / 60'000 % 60, 2);
  put(18, ms / 1000 % 60, 2);
  put(22, ms % 1000, 3);
  return out;
}

Result<TimePoint> ParseIso8601(std::string_view text) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  const bool ok = ParseUnsigned(text, pos, 4, year) && Expect(text, pos, '-') &&
                  ParseUnsigned(text, pos, 2, month) && Expect(text, pos, '-') &&
                  ParseUnsigned(text, pos, 2, day) && Expect(text, pos, 'T') &&
                  ParseUnsigned(text, pos, 2, hour) && Expect(text, pos, ':') &&
                  ParseUnsigned(text, pos, 2, minute) && Expect(text, pos, ':') &&
                  ParseUnsigned(text, pos, 2, second);
  const std::string bad = "bad timestamp \"" + std::string(text) + "\": expected 2026-01-01T09:00:00.000Z";
  if (!ok) return InvalidArgumentError(bad);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    if (!ParseUnsigned(text, pos, 3, millis)) return InvalidArgumentError(bad);
  }
  if (!Expect(text, pos, 'Z') || pos != text.size()) return InvalidArgumentError(bad);
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(day)};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return InvalidArgumentError(bad);
  return TimePoint(std::chrono::sys_days(ymd)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second) + Duration(millis);
}

}  // namespace gcsim
