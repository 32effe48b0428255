#include "gcsim/common/time.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <iterator>

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

bool Expect(std::string_view text, size_t& pos, std::string_view word) {
  if (text.substr(pos, word.size()) != word) return false;
  pos += word.size();
  return true;
}

constexpr std::string_view kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Writes `value` (0 or more) as `digits` zero-padded decimal digits ending at `last`. Digit by
// digit: every answer carries a Date and timestamps, and snprintf is slow.
void PutDigits(char* last, int64_t value, int digits) {
  for (int i = 0; i < digits; ++i, value /= 10) last[-i] = static_cast<char>('0' + value % 10);
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  // Built by append: `"\"" + std::string(text) + "\""` trips g++ 12's -Wrestrict false positive
  // in Release builds.
  const auto bad = [text](std::string_view why) {
    std::string message = "bad duration \"";
    message.append(text).append("\": ").append(why);
    return InvalidArgumentError(std::move(message));
  };
  if (text.empty()) return InvalidArgumentError("empty duration; write e.g. \"10m\" or \"250ms\"");
  if (text == "0") return Duration::zero();
  const auto digits_from = [text](size_t pos) {
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    return pos;
  };
  const auto too_long = [&bad] {
    return bad("longer than the clock can represent (at most " +
               std::to_string(kMaxDuration.count() / 3'600'000) + "h)");
  };
  int64_t total_ms = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // <whole>[.<fraction>]<unit>, digits only: no signs, exponents or spaces.
    const size_t start = pos;
    const size_t whole_end = digits_from(pos);
    size_t fraction_end = whole_end;
    if (whole_end < text.size() && text[whole_end] == '.') fraction_end = digits_from(whole_end + 1);
    if (fraction_end - start == (fraction_end > whole_end ? 1u : 0u)) {
      return bad("expected a number at offset " + std::to_string(start));
    }
    pos = fraction_end;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    const std::string_view unit = text.substr(fraction_end, pos - fraction_end);
    int64_t scale = 0;
    if (unit == "h") scale = 3'600'000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "s") scale = 1'000;
    else if (unit == "ms") scale = 1;
    else if (unit.empty()) return bad("number without a unit (h, m, s, ms)");
    else return bad("unknown unit \"" + std::string(unit) + "\" (use h, m, s, ms)");

    uint64_t whole = 0;
    if (whole_end > start) {
      const auto [end, ec] = std::from_chars(text.data() + start, text.data() + whole_end, whole);
      if (ec != std::errc() || end != text.data() + whole_end) return too_long();
    }
    if (whole > static_cast<uint64_t>(kMaxDuration.count() / scale)) return too_long();
    int64_t ms = static_cast<int64_t>(whole) * scale;
    // Nine fraction digits resolve a thousandth of a millisecond of an hour; more are cut.
    if (fraction_end > whole_end + 1) {
      const std::string_view fraction =
          text.substr(whole_end + 1, std::min<size_t>(fraction_end - whole_end - 1, 9));
      int64_t numerator = 0;
      int64_t denominator = 1;
      for (const char c : fraction) {
        numerator = numerator * 10 + (c - '0');
        denominator *= 10;
      }
      ms += (numerator * scale + denominator / 2) / denominator;  // to the nearest millisecond
    }
    total_ms += ms;
    if (total_ms > kMaxDuration.count()) return too_long();
  }
  return Duration(total_ms);
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

void AppendIso8601(std::string& out, TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(days);
  const int64_t ms = (t - days).count();
  char text[] = "0000-00-00T00:00:00.000Z";
  PutDigits(text + 6, static_cast<unsigned>(ymd.month()), 2);
  PutDigits(text + 9, static_cast<unsigned>(ymd.day()), 2);
  PutDigits(text + 12, ms / 3'600'000, 2);
  PutDigits(text + 15, ms / 60'000 % 60, 2);
  PutDigits(text + 18, ms / 1000 % 60, 2);
  PutDigits(text + 22, ms % 1000, 3);
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // ISO 8601's expanded years: a sign, then every digit
    std::string digits = std::to_string(year < 0 ? -static_cast<int64_t>(year) : year);
    if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
    out += year < 0 ? '-' : '+';
    out += digits;
    out.append(text + 4, sizeof text - 5);
    return;
  }
  PutDigits(text + 3, year, 4);
  out.append(text, sizeof text - 1);
}

std::string FormatIso8601(TimePoint t) {
  std::string out;
  AppendIso8601(out, t);
  return out;
}

Status CheckTimeRange(TimePoint from, Duration by) {
  // Both bounded, so neither difference overflows.
  if (from < kEarliestTime || from > kLatestTime || by > kLatestTime - from ||
      by < kEarliestTime - from) {
    return InvalidArgumentError(FormatIso8601(from) + " + " + FormatDuration(by) +
                                " leaves the range the clock can represent (" +
                                FormatIso8601(kEarliestTime) + " to " + FormatIso8601(kLatestTime) +
                                ")");
  }
  return Status::Ok();
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

std::string FormatHttpDate(TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(days);
  const int64_t seconds = std::chrono::floor<std::chrono::seconds>(t - days).count();
  char text[] = "Www, 00 Mmm 0000 00:00:00 GMT";
  kWeekdays[std::chrono::weekday(days).c_encoding()].copy(text, 3);
  PutDigits(text + 6, static_cast<unsigned>(ymd.day()), 2);
  kMonths[static_cast<unsigned>(ymd.month()) - 1].copy(text + 8, 3);
  // Four digits: the clock stays within years 0 to 9999 (kEarliestTime to kLatestTime).
  PutDigits(text + 15, static_cast<int>(ymd.year()), 4);
  PutDigits(text + 18, seconds / 3600, 2);
  PutDigits(text + 21, seconds / 60 % 60, 2);
  PutDigits(text + 24, seconds % 60, 2);
  return std::string(text, sizeof text - 1);
}

Result<TimePoint> ParseHttpDate(std::string_view text) {
  size_t pos = 0;
  const auto one_of = [&](const auto& names) -> int {
    for (size_t i = 0; i < std::size(names); ++i) {
      if (Expect(text, pos, names[i])) return static_cast<int>(i);
    }
    return -1;
  };
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  const int weekday = one_of(kWeekdays);
  const bool named_day = weekday >= 0 && Expect(text, pos, ", ") &&
                         ParseUnsigned(text, pos, 2, day) && Expect(text, pos, ' ');
  const int month = named_day ? one_of(kMonths) : -1;
  const bool ok = month >= 0 && Expect(text, pos, ' ') && ParseUnsigned(text, pos, 4, year) &&
                  Expect(text, pos, ' ') && ParseUnsigned(text, pos, 2, hour) &&
                  Expect(text, pos, ':') && ParseUnsigned(text, pos, 2, minute) &&
                  Expect(text, pos, ':') && ParseUnsigned(text, pos, 2, second) &&
                  Expect(text, pos, " GMT") && pos == text.size();
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month + 1),
                                        std::chrono::day(day)};
  if (!ok || !ymd.ok() || hour > 23 || minute > 59 || second > 59 ||
      std::chrono::weekday(std::chrono::sys_days(ymd)).c_encoding() !=
          static_cast<unsigned>(weekday)) {
    std::string message = "bad HTTP date \"";
    message.append(text).append("\": expected Thu, 01 Jan 2026 09:00:00 GMT");
    return InvalidArgumentError(std::move(message));
  }
  return TimePoint(std::chrono::sys_days(ymd)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second);
}

}  // namespace gcsim
