#include "gcsim/harness/runner.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gcsim/harness/scenario.h"

namespace gcsim::harness {
namespace {

using nlohmann::json;

constexpr char kBridge[] = R"({
  "oauthClients": [{"clientId": "demo-client", "clientSecret": "demo-secret"}],
  "queues": [{"id": "7c1d2e3f-0000-4000-8000-0000000000a1"}],
  "conversations": [{"id": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "participants": [
    {"id": "1a2b3c4d-0000-4000-8000-000000000001", "purpose": "customer", "speech": "always"},
    {"id": "1a2b3c4d-0000-4000-8000-000000000002", "purpose": "agent", "speech": "always",
     "queueId": "7c1d2e3f-0000-4000-8000-0000000000a1"},
    {"id": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "purpose": "user", "speech": "never",
     "queueId": "7c1d2e3f-0000-4000-8000-0000000000a1"}]}]
})";
constexpr char kSupervisor[] = "9f8e7d6c-5b4a-3210-abcd-ef1234567890";
constexpr char kConversation[] = "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01";

Scenario Parse(json scenario) {
  auto parsed = ParseScenario(scenario, "test.json");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? *parsed : Scenario{};
}

json ReaperScenario() {
  return {{"name", "reaper"}, {"world", json::parse(kBridge)}, {"reaper", json::object()},
          {"runFor", "12m"}};
}

TEST(RunScenarioTest, ReaperDropsTheIdleLegInItsWindow) {
  json s = ReaperScenario();
  s["expect"] = json::parse(R"([
    {"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "disconnectedBetween": ["10m", "10m15s250ms"]},
    {"leg": "1a2b3c4d-0000-4000-8000-000000000001", "neverDropped": true},
    {"queue": "7c1d2e3f-0000-4000-8000-0000000000a1", "at": "9m", "oInteracting": 2},
    {"queue": "7c1d2e3f-0000-4000-8000-0000000000a1", "at": "11m", "oInteracting": 1},
    {"metric": "drops", "equals": 1}, {"metric": "earlyDrops", "equals": 0},
    {"metric": "verified", "equals": 1}
  ])");
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error : result.failures[0].actual);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.simulated, std::chrono::minutes(12));
  EXPECT_EQ(result.metrics.drops, 1u);
  EXPECT_GT(result.metrics.requests, 10u);
}

// One scenario whose every expectation is wrong: each must be reported as failed.
TEST(RunScenarioTest, ExpectationsThatMustFailDoFail) {
  json s = ReaperScenario();
  s["script"] = json::parse(std::string(R"({"requests": [{"at": "1m", "method": "PATCH", "path":
    "/api/v2/conversations/)") + kConversation + "/participants/" + kSupervisor +
                            R"(", "body": {"dropReason": "timeout"}, "expectStatus": 202}]})");
  s["expect"] = json::parse(R"([
    {"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "disconnectedBetween": ["1m", "2m"]},
    {"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "neverDropped": true},
    {"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "at": "11m", "state": "connected"},
    {"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "at": "11m", "media": "flowing"},
    {"leg": "1a2b3c4d-0000-4000-8000-000000000001", "at": "5m", "media": "stopped"},
    {"conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "at": "11m", "ended": true},
    {"queue": "7c1d2e3f-0000-4000-8000-0000000000a1", "at": "11m", "oInteracting": 2},
    {"metric": "drops", "equals": 0},
    {"metric": "requests", "atMost": 1},
    {"metric": "stuck", "atLeast": 1}
  ])");
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.error, "");
  // Ten written expectations plus the script's expected status.
  ASSERT_EQ(result.failures.size(), 11u);
  for (const Failure& failure : result.failures) {
    EXPECT_FALSE(failure.actual.empty()) << failure.expectation;
    EXPECT_FALSE(failure.pointer.empty()) << failure.expectation;
  }
  const auto window = std::find_if(result.failures.begin(), result.failures.end(), [](const Failure& f) {
    return f.expectation.find("disconnected between 1m and 2m") != std::string::npos;
  });
  ASSERT_NE(window, result.failures.end());
  EXPECT_NE(window->actual.find("disconnected at 10m"), std::string::npos) << window->actual;
  EXPECT_EQ(window->pointer, "/expect/0");
  // The journal lines that matter come with a failure about a leg: its drop request and effect.
  ASSERT_FALSE(window->journal.empty());
  EXPECT_NE(window->journal.back().find("leg disconnected"), std::string::npos) << window->journal.back();
  EXPECT_FALSE(result.journal.empty());
}

TEST(RunScenarioTest, SameScenarioSameJournal) {
  json s = ReaperScenario();
  s["world"]["generate"] = json::parse(R"([{"bridges": 30, "purposes": ["customer", "agent", "user"],
                                            "silentFraction": 0.3}])");
  const Scenario scenario = Parse(s);
  const ScenarioResult first = RunScenario(scenario, {.keep_journal = true});
  const ScenarioResult second = RunScenario(scenario, {.keep_journal = true});
  ASSERT_FALSE(first.journal.empty());
  ASSERT_EQ(first.journal.size(), second.journal.size());
  for (size_t i = 0; i < first.journal.size(); ++i) {
    EXPECT_EQ(core::ToJson(first.journal[i]), core::ToJson(second.journal[i])) << i;
  }
  EXPECT_EQ(first.metrics.drops, second.metrics.drops);
  EXPECT_GT(first.metrics.drops, 5u);
}

TEST(RunScenarioTest, AFailingTimelineEventIsAnErrorNotACrash) {
  json s = ReaperScenario();
  s["timeline"] = json::parse(R"([{"at": "1m", "leg": "00000000-0000-4000-8000-000000000000", "mute": true}])");
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.error.find("/timeline/0"), std::string::npos) << result.error;
}

TEST(RunScenarioTest, ThirtySimulatedMinutesOfTheSeedRun) {
  json s = ReaperScenario();
  s["runFor"] = "30m";
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed);
  EXPECT_EQ(result.simulated, std::chrono::minutes(30));
}

}  // namespace
}  // namespace gcsim::harness
