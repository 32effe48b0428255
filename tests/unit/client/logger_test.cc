#include "gcsim/client/logger.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace gcsim::client {
namespace {

TEST(ClientLoggerTest, WritesTextLinesStampedWithTheClock) {
  ManualClock clock;
  std::ostringstream out;
  Logger logger(out, clock);
  logger.Info("dropped", {{"conversation", "c1"}, {"error", "two words"}});
  logger.Debug("hidden");  // below the default level
  EXPECT_EQ(out.str(),
            "2026-01-01T09:00:00.000Z INFO dropped conversation=c1 error=\"two words\"\n");
}

TEST(ClientLoggerTest, WritesOneJsonObjectPerLine) {
  ManualClock clock;
  std::ostringstream out;
  Logger logger(out, clock, {.format = LogFormat::kJson, .min_level = LogLevel::kDebug});
  logger.Warn("retry", {{"correlation", "abc"}, {"note", "quote \" and \n newline"}});
  logger.Debug("tick");
  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2026-01-01T09:00:00.000Z");
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["event"], "retry");
  EXPECT_EQ(j["correlation"], "abc");
  EXPECT_EQ(j["note"], "quote \" and \n newline");
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(nlohmann::json::parse(line)["event"], "tick");
}

TEST(ClientLoggerTest, ParsesFormatNames) {
  LogFormat format = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", format));
  EXPECT_EQ(format, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("xml", format));
}

}  // namespace
}  // namespace gcsim::client
