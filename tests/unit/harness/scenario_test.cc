#include "gcsim/harness/scenario.h"

#include <gtest/gtest.h>

#include <fstream>

namespace gcsim::harness {
namespace {

using nlohmann::json;

json Minimal() {
  return json::parse(R"({
    "name": "minimal",
    "world": {"oauthClients": [{"clientId": "c", "clientSecret": "s"}]},
    "reaper": {"clientId": "c", "clientSecret": "s"},
    "runFor": "1m"
  })");
}

std::string ErrorOf(const json& scenario) {
  auto parsed = ParseScenario(scenario, "s.json");
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(ParseScenarioTest, ReadsEverySection) {
  json s = Minimal();
  s["timeline"] = json::parse(R"([
    {"at": "30s", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "speech": {"every": "10s", "for": "2s"}},
    {"at": "1m", "leg": "x", "mute": true},
    {"at": "2m", "leg": "x", "transfer": true, "as": "x2"},
    {"at": "3m", "conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "join": {"purpose": "external"}, "as": "guest"}
  ])");
  s["script"] = json::parse(R"({"requests": [
    {"at": "10m", "method": "PATCH", "path": "/api/v2/x", "body": {"a": 1}, "expectStatus": 204}]})");
  s["expect"] = json::parse(R"([
    {"leg": "x", "disconnectedBetween": ["10m", "10m30s"]},
    {"metric": "drops", "atLeast": 1}
  ])");
  auto parsed = ParseScenario(s, "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->timeline.size(), 4u);
  EXPECT_EQ(parsed->timeline[0].kind, TimelineEvent::Kind::kSpeech);
  EXPECT_EQ(parsed->timeline[2].kind, TimelineEvent::Kind::kTransfer);
  EXPECT_EQ(parsed->timeline[3].join.purpose, core::Purpose::kExternal);
  EXPECT_EQ(parsed->run_for, std::chrono::minutes(1));
  // The script step's expected status becomes an expectation of its own.
  ASSERT_EQ(parsed->expectations.size(), 3u);
  EXPECT_EQ(parsed->expectations[2].kind, Expectation::Kind::kScriptStatus);
  EXPECT_EQ(parsed->expectations[2].status, 204);
}

TEST(ParseScenarioTest, BrokenFilesNameThePointerAndTheProblem) {
  json s = Minimal();
  s["timeline"] = json::parse(R"([{"at": "soon", "leg": "x", "mute": true}])");
  EXPECT_EQ(ErrorOf(s).rfind("s.json: /timeline/0/at: bad duration \"soon\"", 0), 0u) << ErrorOf(s);

  s = Minimal();
  s["world"]["conversations"] = json::parse(R"([{"participants": [{"purpose": "boss"}]}])");
  EXPECT_EQ(ErrorOf(s).rfind("s.json: /world/conversations/0/participants/0/purpose: unknown purpose", 0), 0u)
      << ErrorOf(s);

  s = Minimal();
  s["expect"] = json::parse(R"([{"metric": "dropz", "equals": 1}])");
  EXPECT_NE(ErrorOf(s).find("/expect/0/metric: unknown metric \"dropz\""), std::string::npos);

  s = Minimal();
  s["expect"] = json::parse(R"([{"leg": "x", "state": "connected"}])");
  EXPECT_NE(ErrorOf(s).find("/expect/0: this expectation needs an \"at\" time"), std::string::npos);

  s = Minimal();
  s["timeline"] = json::parse(R"([{"at": "1m", "leg": "x", "mute": true, "hold": true}])");
  EXPECT_NE(ErrorOf(s).find("exactly one of"), std::string::npos);

  s = Minimal();
  s["reaper"]["activity"] = "psychic";
  EXPECT_NE(ErrorOf(s).find("/reaper/activity"), std::string::npos);

  s = Minimal();
  s.erase("reaper");
  EXPECT_NE(ErrorOf(s).find("client under test"), std::string::npos);

  s = Minimal();
  s["runFr"] = "1m";
  EXPECT_NE(ErrorOf(s).find("/runFr: unknown field"), std::string::npos);

  s = Minimal();
  s["timeline"] = json::parse(R"([{"at": "1m", "conversation": "x", "join": {"purpose": "alien"}}])");
  EXPECT_NE(ErrorOf(s).find("/timeline/0/join/purpose: unknown purpose"), std::string::npos) << ErrorOf(s);
}

TEST(LoadScenarioFileTest, SyntaxErrorsGiveFileLineAndColumn) {
  const std::string path = testing::TempDir() + "/broken_scenario.json";
  std::ofstream(path) << "{\n  \"name\": \"x\",\n  \"runFor\": 10m\n}\n";
  const auto loaded = LoadScenarioFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message().rfind(path + ": ", 0), 0u);
  EXPECT_NE(loaded.status().message().find("line 3"), std::string::npos) << loaded.status().message();
}

TEST(FindScenarioFilesTest, FindsTheBundledSuiteSorted) {
  auto files = FindScenarioFiles({GCSIM_SCENARIOS_DIR});
  ASSERT_TRUE(files.ok());
  ASSERT_GE(files->size(), 10u);
  EXPECT_TRUE(std::is_sorted(files->begin(), files->end()));
  EXPECT_FALSE(FindScenarioFiles({"/no/such/place"}).ok());
}

TEST(BundledScenariosTest, EveryBundledFileLoads) {
  const auto files = FindScenarioFiles({GCSIM_SCENARIOS_DIR});
  ASSERT_TRUE(files.ok());
  for (const std::string& file : *files) {
    auto loaded = LoadScenarioFile(file);
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  }
}

}  // namespace
}  // namespace gcsim::harness
