#include "gcsim/common/time.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>

namespace gcsim {
namespace {

using std::chrono::milliseconds;

struct DurationCase {
  const char* text;
  int64_t ms;
};
// How gtest (and so ctest's test names) shows a case: its text, not the bytes of its pointer.
void PrintTo(const DurationCase& c, std::ostream* out) { *out << '"' << c.text << '"'; }

class ParseDurationTest : public testing::TestWithParam<DurationCase> {};

TEST_P(ParseDurationTest, ParsesAsPeopleWriteThem) {
  const auto parsed = ParseDuration(GetParam().text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->count(), GetParam().ms);
}

INSTANTIATE_TEST_SUITE_P(Forms, ParseDurationTest,
                         testing::Values(DurationCase{"250ms", 250}, DurationCase{"15s", 15000},
                                         DurationCase{"10m", 600000},
                                         DurationCase{"1h30m", 5400000},
                                         DurationCase{"10m30s", 630000}, DurationCase{"1.5s", 1500},
                                         DurationCase{"0", 0}, DurationCase{"0s", 0},
                                         DurationCase{"1m0s250ms", 60250},
                                         DurationCase{".5s", 500}, DurationCase{"1.0005s", 1001},
                                         DurationCase{"0.0001s", 0},
                                         DurationCase{"1.999999999999999999999h", 7200000},
                                         DurationCase{"87649000h", 87649000LL * 3600000}),
                         // "1m0s250ms" -> "1m0s250ms", "1.5s" -> "1_5s": names, not bytes.
                         [](const testing::TestParamInfo<DurationCase>& param) {
                           std::string name = std::to_string(param.index) + "_";
                           for (const char c : std::string_view(param.param.text)) {
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

TEST(ParseDurationErrorTest, BadTextIsAnErrorNotZero) {
  for (const char* bad : {"", "10", "ten", "10x", "-5s", "s", "1..5s", "10m 30s", "."}) {
    const auto parsed = ParseDuration(bad);
    EXPECT_FALSE(parsed.ok()) << "accepted: " << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_NE(ParseDuration("10q").status().message().find("unknown unit"), std::string::npos);
}

// std::stod used to throw out_of_range on these: the server answered 500 and the CLIs aborted.
TEST(ParseDurationErrorTest, NumbersOutOfRangeAreErrorsNotExceptions) {
  const std::string huge = std::string(400, '9') + "s";
  const std::string tiny = "0." + std::string(400, '0') + "1s";
  const std::string long_fraction = "1." + std::string(100'000, '5') + "ms";
  for (const std::string& text : {huge, std::string("99999999h"), std::string("87659000h"),
                                  std::string("18446744073709551616ms"),
                                  std::string("50000000h50000000h")}) {
    const auto parsed = ParseDuration(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find("longer than the clock can represent"),
              std::string::npos)
        << parsed.status().message();
  }
  ASSERT_TRUE(ParseDuration(tiny).ok());
  EXPECT_EQ(ParseDuration(tiny)->count(), 0);
  ASSERT_TRUE(ParseDuration(long_fraction).ok());
  EXPECT_EQ(ParseDuration(long_fraction)->count(), 2);
  EXPECT_LE(ParseDuration(std::to_string(kMaxDuration.count()) + "ms")->count(),
            kMaxDuration.count());
}

TEST(TimeRangeTest, TheClockRangeEndsAtYear9999) {
  EXPECT_EQ(FormatIso8601(kLatestTime), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(kEarliestTime), "0000-01-01T00:00:00.000Z");
  const TimePoint start = *ParseIso8601("2026-01-01T09:00:00Z");
  EXPECT_TRUE(CheckTimeRange(start, std::chrono::hours(24)).ok());
  EXPECT_TRUE(CheckTimeRange(start, kLatestTime - start).ok());
  EXPECT_FALSE(CheckTimeRange(start, kLatestTime - start + milliseconds(1)).ok());
  EXPECT_FALSE(CheckTimeRange(start, kMaxDuration).ok());
  EXPECT_EQ(CheckTimeRange(start, kMaxDuration).code(), StatusCode::kInvalidArgument);
}

TEST(TimeRangeTest, TimestampsOutsideTheRangeStayDigits) {
  EXPECT_EQ(FormatIso8601(kLatestTime + milliseconds(1)), "+10000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(kEarliestTime - std::chrono::days(365)), "-0001-01-01T00:00:00.000Z");
}

TEST(FormatDurationTest, RoundTrips) {
  EXPECT_EQ(FormatDuration(milliseconds(630000)), "10m30s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(3605000)), "1h5s");
  for (int64_t ms : {1, 999, 1000, 61001, 86400000}) {
    EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(ms)))->count(), ms);
  }
}

TEST(HttpDateTest, FormatsWholeSecondsAndParsesItsOwnFormOnly) {
  const TimePoint t = *ParseIso8601("2026-01-01T09:00:05.999Z");
  EXPECT_EQ(FormatHttpDate(t), "Thu, 01 Jan 2026 09:00:05 GMT");
  EXPECT_EQ(FormatHttpDate(*ParseIso8601("2024-02-29T23:59:59Z")), "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(FormatHttpDate(kEarliestTime), "Sat, 01 Jan 0000 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(kLatestTime), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(FormatHttpDate(*ParseIso8601("2026-10-18T00:00:00Z")), "Sun, 18 Oct 2026 00:00:00 GMT");
  const Result<TimePoint> parsed = ParseHttpDate("Thu, 01 Jan 2026 09:00:05 GMT");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(FormatIso8601(*parsed), "2026-01-01T09:00:05.000Z");
  for (TimePoint at = t; at < t + std::chrono::days(400); at += std::chrono::hours(31)) {
    const auto whole = std::chrono::floor<std::chrono::seconds>(at);
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(at)).value(), whole) << FormatIso8601(at);
  }
  for (const char* bad : {"", "Thu, 01 Jan 2026 09:00:05", "Fri, 01 Jan 2026 09:00:05 GMT",
                          "Thursday, 01-Jan-26 09:00:05 GMT", "Thu Jan  1 09:00:05 2026",
                          "Thu, 1 Jan 2026 09:00:05 GMT", "Thu, 01 Jan 2026 24:00:00 GMT",
                          "Thu, 31 Feb 2026 09:00:05 GMT", "Thu, 01 Jan 2026 09:00:05 GMT "}) {
    EXPECT_FALSE(ParseHttpDate(bad).ok()) << bad;
  }
}

TEST(Iso8601Test, FormatsAndParsesWithMilliseconds) {
  const auto t = ParseIso8601("2026-01-01T09:00:00.123Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatIso8601(*t), "2026-01-01T09:00:00.123Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59.000Z");
  std::string appended = "at ";
  AppendIso8601(appended, *t);
  AppendIso8601(appended, kLatestTime + std::chrono::milliseconds(1));
  EXPECT_EQ(appended, "at 2026-01-01T09:00:00.123Z+10000-01-01T00:00:00.000Z");
  for (const char* bad : {"2026-13-01T00:00:00Z", "2026-01-01 09:00:00Z", "2026-01-01T09:00:00",
                          "yesterday", "2026-02-30T00:00:00Z"}) {
    EXPECT_FALSE(ParseIso8601(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gcsim
