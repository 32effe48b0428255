#include "gcsim/harness/scenario.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace gcsim::harness {
namespace {

using nlohmann::json;

constexpr char kLeg[] = "9f8e7d6c-5b4a-3210-abcd-ef1234567890";
constexpr char kConversation[] = "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01";
constexpr char kQueue[] = "7c1d2e3f-0000-4000-8000-0000000000a1";

json Minimal() {
  return json::parse(R"({
    "name": "minimal",
    "world": {
      "oauthClients": [{"clientId": "c", "clientSecret": "s"}],
      "queues": [{"id": "7c1d2e3f-0000-4000-8000-0000000000a1"}],
      "conversations": [{"id": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "participants": [
        {"id": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "purpose": "user"},
        {"purpose": "customer"}, {"purpose": "agent"}]}]
    },
    "reaper": {"clientId": "c", "clientSecret": "s"},
    "runFor": "12m"
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
    {"at": "1m", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "mute": true},
    {"at": "2m", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "transfer": true, "as": "x2"},
    {"at": "3m", "conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "join": {"purpose": "external"}, "as": "guest"}
  ])");
  s["script"] = json::parse(R"({"requests": [
    {"at": "10m", "method": "PATCH", "path": "/api/v2/x/{leg:guest}", "body": {"a": 1}, "expectStatus": 204}]})");
  s["expect"] = json::parse(R"([
    {"leg": "x2", "disconnectedBetween": ["10m", "10m30s"]},
    {"metric": "drops", "atLeast": 1}
  ])");
  auto parsed = ParseScenario(s, "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->timeline.size(), 4u);
  EXPECT_EQ(parsed->timeline[0].kind, TimelineEvent::Kind::kSpeech);
  EXPECT_EQ(parsed->timeline[2].kind, TimelineEvent::Kind::kTransfer);
  EXPECT_EQ(parsed->timeline[3].join.purpose, core::Purpose::kExternal);
  EXPECT_EQ(parsed->run_for, std::chrono::minutes(12));
  // The script step's expected status becomes an expectation of its own.
  ASSERT_EQ(parsed->expectations.size(), 3u);
  EXPECT_EQ(parsed->expectations[2].kind, Expectation::Kind::kScriptStatus);
  EXPECT_EQ(parsed->expectations[2].status, 204);
  // Safety is judged against the reaper's idle timeout unless the file says otherwise.
  EXPECT_TRUE(parsed->safety.enforce);
  EXPECT_EQ(parsed->safety.idle_timeout, std::chrono::minutes(10));
}

TEST(ParseScenarioTest, SafetySettings) {
  json s = Minimal();
  s["reaper"]["idleTimeout"] = "5m";
  auto parsed = ParseScenario(s, "s.json");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->safety.idle_timeout, std::chrono::minutes(5));
  s["safety"] = json::parse(R"({"idleTimeout": "7m", "enforce": false})");
  parsed = ParseScenario(s, "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->safety.idle_timeout, std::chrono::minutes(7));
  EXPECT_FALSE(parsed->safety.enforce);
  s["safety"] = json::parse(R"({"idleTimeout": "0s"})");
  EXPECT_NE(ErrorOf(s).find("/safety/idleTimeout: must be more than 0s"), std::string::npos) << ErrorOf(s);
}

// The same rules as the reaper CLI: one validation for each setting.
TEST(ParseScenarioTest, ReaperSettingsAreValidatedAsTheCliValidatesThem) {
  for (const char* key : {"idleTimeout", "pollInterval", "verifyTimeout"}) {
    json s = Minimal();
    s["reaper"][key] = "0";
    EXPECT_EQ(ErrorOf(s), std::string("s.json: /reaper/") + key + ": must be more than 0s");
  }
  json s = Minimal();
  s["reaper"]["purposes"] = json::array();
  EXPECT_EQ(ErrorOf(s), "s.json: /reaper/purposes: name at least one purpose to drop");
  EXPECT_FALSE(client::ValidateReaperOptions({.idle_timeout = Duration::zero()}).ok());
  EXPECT_TRUE(client::ValidateReaperOptions({}).ok());
  s = Minimal();
  s["reaper"]["concurrency"] = 65;
  EXPECT_EQ(ErrorOf(s), "s.json: /reaper/concurrency: must be 1 to 64");
  s["reaper"]["concurrency"] = 0;
  EXPECT_NE(ErrorOf(s).find("/reaper/concurrency"), std::string::npos) << ErrorOf(s);
}

// A scenario's name heads the results table: empty, a control character or a novel would
// garble it.
TEST(ParseScenarioTest, ANameIsALineOfText) {
  for (const std::string& name : {std::string(), std::string("two\nlines"),
                                  std::string("\x1b[31mred"), std::string(201, 'n')}) {
    json s = Minimal();
    s["name"] = name;
    EXPECT_EQ(ErrorOf(s),
              "s.json: /name: must be 1 to 200 characters on one line, with no "
              "control characters");
  }
}

// A name given by "as" stands for one leg.
TEST(ParseScenarioTest, ANameIsGivenOnce) {
  json s = Minimal();
  s["timeline"] = json::parse(R"([
    {"at": "1m", "conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "join": {"purpose": "external"}, "as": "x"},
    {"at": "2m", "conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "join": {"purpose": "external"}, "as": "x"}
  ])");
  EXPECT_EQ(ErrorOf(s), "s.json: /timeline/1/as: \"x\" was given already, by /timeline/0");
  s["timeline"][1]["as"] = kLeg;
  EXPECT_EQ(ErrorOf(s), std::string("s.json: /timeline/1/as: \"") + kLeg +
                            "\" is a participant id of the world");
  s["timeline"][1]["as"] = "y";
  EXPECT_EQ(ErrorOf(s), "");
}

// A number out of range names both bounds.
TEST(ParseScenarioTest, ASeedOutOfRangeNamesItsBounds) {
  json s = Minimal();
  s["seed"] = 2147483648;
  EXPECT_EQ(ErrorOf(s), "s.json: /seed: expected a whole number from 0 to 100000000");
  s["seed"] = 100'000'000;
  EXPECT_EQ(ErrorOf(s), "");
}

// The clock stops at the end of year 9999: a run meant to last past it would never end.
TEST(ParseScenarioTest, ARunMustEndBeforeTheClockStops) {
  json s = Minimal();
  s["runFor"] = "69900000h";
  EXPECT_EQ(ErrorOf(s),
            "s.json: /runFor: must be at most 69898622h59m59s999ms (the clock "
            "stops at 9999-12-31T23:59:59.999Z)");
  s["runFor"] = "69898622h";
  EXPECT_EQ(ErrorOf(s), "");
}

TEST(ParseScenarioTest, AtMostAThousandFaultEpisodes) {
  json s = Minimal();
  s["faults"] = json::array();
  for (int i = 0; i < 1000; ++i) s["faults"].push_back({{"kind", "status"}});
  EXPECT_EQ(ErrorOf(s), "");
  s["faults"].push_back({{"kind", "status"}});
  EXPECT_NE(ErrorOf(s).find("/faults: at most 1000 episodes (1001 given)"), std::string::npos)
      << ErrorOf(s);
}

TEST(ParseScenarioTest, NothingMayBeTimedAfterTheRunEnds) {
  json s = Minimal();
  s["expect"] = json::parse(R"([{"metric": "drops", "at": "13m", "equals": 0}])");
  EXPECT_EQ(ErrorOf(s), "s.json: /expect/0/at: 13m is after runFor (12m): it would never happen");
  s = Minimal();
  s["timeline"] = json::parse(R"([{"at": "20m", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "mute": true}])");
  EXPECT_NE(ErrorOf(s).find("/timeline/0/at: 20m is after runFor"), std::string::npos);
  s = Minimal();
  s["script"] = json::parse(R"({"requests": [{"at": "12m1s", "method": "GET", "path": "/x"}]})");
  EXPECT_NE(ErrorOf(s).find("/script/requests/0/at: 12m1s is after runFor"), std::string::npos);
  s = Minimal();
  s["expect"] = json::parse(R"([{"metric": "drops", "at": "12m", "equals": 0}])");
  EXPECT_EQ(ErrorOf(s), "");  // the last instant is still checked
}

TEST(ParseScenarioTest, ReferencesMustPointSomewhere) {
  json s = Minimal();
  s["expect"] = json::parse(R"([{"queue": "00000000-0000-4000-8000-0000000000ff", "at": "1m", "oWaiting": 0}])");
  EXPECT_EQ(ErrorOf(s), "s.json: /expect/0/queue: queue 00000000-0000-4000-8000-0000000000ff is not "
                        "one of the world's queues");
  s = Minimal();
  s["world"]["conversations"][0]["participants"][1]["queueId"] = "00000000-0000-4000-8000-0000000000ff";
  EXPECT_NE(ErrorOf(s).find("/world/conversations/0/participants/1/queueId: queue"), std::string::npos)
      << ErrorOf(s);
  s = Minimal();
  s["world"]["conversations"][0]["participants"][2]["userId"] = "00000000-0000-4000-8000-0000000000ff";
  EXPECT_NE(ErrorOf(s).find("/world/conversations/0/participants/2/userId: user"), std::string::npos)
      << ErrorOf(s);
  s = Minimal();
  s["expect"] = json::parse(R"([{"leg": "ghost", "neverDropped": true}])");
  EXPECT_NE(ErrorOf(s).find("/expect/0/leg: leg \"ghost\" is neither"), std::string::npos) << ErrorOf(s);
  s = Minimal();
  s["expect"] = json::parse(R"([{"conversation": "00000000-0000-4000-8000-0000000000ff", "ended": true}])");
  EXPECT_NE(ErrorOf(s).find("/expect/0/conversation: conversation"), std::string::npos) << ErrorOf(s);
  // A name given by "as" exists only from its event on.
  s = Minimal();
  s["timeline"] = json::parse(R"([
    {"at": "5m", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "transfer": true, "as": "back"},
    {"at": "4m", "leg": "back", "mute": true}])");
  EXPECT_NE(ErrorOf(s).find("/timeline/1/leg: leg \"back\" is named only at 5m, after 4m"),
            std::string::npos) << ErrorOf(s);
  s = Minimal();
  s["timeline"] = json::parse(R"([{"at": "1m", "conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01",
                                   "join": {"purpose": "agent", "queueId": "00000000-0000-4000-8000-0000000000ff"}}])");
  EXPECT_NE(ErrorOf(s).find("/timeline/0/join/queueId: queue"), std::string::npos) << ErrorOf(s);
  // A join naming the world's own user and queue is the call coming onto a queue mid-run.
  s = Minimal();
  s["world"]["users"] = json::parse(R"([{"id": "7c1d2e3f-0000-4000-8000-0000000000b1"}])");
  s["timeline"] =
      json::parse(R"([{"at": "1m", "conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01",
                                   "join": {"purpose": "agent",
                                            "userId": "7c1d2e3f-0000-4000-8000-0000000000b1",
                                            "queueId": "7c1d2e3f-0000-4000-8000-0000000000a1"}}])");
  EXPECT_EQ(ErrorOf(s), "");
  s["timeline"][0]["join"]["userId"] = "00000000-0000-4000-8000-0000000000ff";
  EXPECT_NE(ErrorOf(s).find("/timeline/0/join/userId: user 00000000"), std::string::npos)
      << ErrorOf(s);
  s = Minimal();
  s["script"] = json::parse(R"({"requests": [{"at": "1m", "method": "GET", "path": "/x/{leg:nobody}"}]})");
  EXPECT_NE(ErrorOf(s).find("/script/requests/0/path: leg \"nobody\""), std::string::npos) << ErrorOf(s);
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
  s["timeline"] = json::parse(R"([{"at": "1m", "conversation": "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01", "join": {"purpose": "alien"}}])");
  EXPECT_NE(ErrorOf(s).find("/timeline/0/join/purpose: unknown purpose"), std::string::npos) << ErrorOf(s);
}

TEST(ParseScenarioTest, AReapersClockSkewIsAheadOrBehindByAtMostAYear) {
  json s = Minimal();
  s["reaper"]["clockSkew"] = "1h";
  EXPECT_EQ(ParseScenario(s, "s.json").value().reaper->clock_skew, std::chrono::hours(1));
  s["reaper"]["clockSkew"] = "-1m30s";
  EXPECT_EQ(ParseScenario(s, "s.json").value().reaper->clock_skew, -std::chrono::seconds(90));
  for (const json& bad : {json("ahead"), json("+1h"), json("--1h"), json("-"), json("8761h"),
                          json(3600), json("1h ")}) {
    s["reaper"]["clockSkew"] = bad;
    EXPECT_NE(ErrorOf(s).find("/reaper/clockSkew: expected a duration of at most a year"),
              std::string::npos)
        << bad.dump() << ": " << ErrorOf(s);
  }
}

TEST(ParseScenarioTest, FaultEventsAndStuckExpectationsAreChecked) {
  json s = Minimal();
  s["timeline"] = json::parse(R"([{"at": "1m", "fault": {"kind": "latency", "delay": "5s"}},
                                  {"at": "2m", "clearFaults": true}])");
  s["expect"] = json::parse(R"([{"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "reportedStuck": true},
                                {"metric": "faultsInjected", "atLeast": 1},
                                {"metric": "failedRequests", "equals": 0}])");
  auto parsed = ParseScenario(s, "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->timeline[0].kind, TimelineEvent::Kind::kFault);
  EXPECT_EQ(parsed->timeline[1].kind, TimelineEvent::Kind::kClearFaults);
  EXPECT_EQ(parsed->expectations[0].kind, Expectation::Kind::kLegReportedStuck);

  s["timeline"] = json::parse(R"([{"at": "1m", "fault": {"kind": "latency"}}])");
  EXPECT_NE(ErrorOf(s).find("/timeline/0/fault: missing required field \"delay\""), std::string::npos)
      << ErrorOf(s);
  s["timeline"] = json::parse(R"([{"at": "1m", "clearFaults": false}])");
  EXPECT_NE(ErrorOf(s).find("/timeline/0/clearFaults: expected true"), std::string::npos) << ErrorOf(s);
  s["timeline"] = json::array();
  s["expect"] = json::parse(R"([{"reportedStuck": true}])");
  EXPECT_NE(ErrorOf(s).find("/expect/0: this expectation needs a \"leg\""), std::string::npos) << ErrorOf(s);
}

TEST(LoadScenarioFileTest, SyntaxErrorsGiveFileLineAndColumn) {
  const std::string path = testing::TempDir() + "/broken_scenario.json";
  std::ofstream(path) << "{\n  \"name\": \"x\",\n  \"runFor\": 10m\n}\n";
  const auto loaded = LoadScenarioFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message().rfind(path + ": ", 0), 0u);
  EXPECT_NE(loaded.status().message().find("line 3"), std::string::npos) << loaded.status().message();
}

TEST(LoadScenarioFileTest, DuplicateKeysAndDeepNestingAreErrors) {
  const std::string path = testing::TempDir() + "/duplicate_scenario.json";
  std::ofstream(path) << "{\"name\": \"x\", \"runFor\": \"1m\", \"runFor\": \"2m\"}";
  auto loaded = LoadScenarioFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), path + ": /runFor: duplicate key \"runFor\"");

  // 100,000 levels in a script body once overflowed the stack in the JSON dump.
  json s = Minimal();
  s["script"] = json::parse(R"({"requests": [{"at": "1m", "method": "POST", "path": "/x", "body": 0}]})");
  std::string text = s.dump();
  const std::string body = "\"body\":0";
  text.replace(text.find(body), body.size(),
               "\"body\":" + std::string(100'000, '[') + std::string(100'000, ']'));
  std::ofstream(path, std::ios::trunc) << text;
  loaded = LoadScenarioFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("/script/requests/0/body/0/0"), std::string::npos);
  EXPECT_NE(loaded.status().message().find("nested deeper than 64 levels"), std::string::npos);
}

// Only a regular file of a sane size is read: a FIFO would wait for a writer for ever, and a
// device or a huge file would eat the memory.
TEST(LoadScenarioFileTest, OnlyARegularFileOfASaneSizeIsRead) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(testing::TempDir()) / "gcsim_unreadable_scenarios";
  fs::remove_all(dir);
  fs::create_directories(dir / "folder.json");
  ASSERT_EQ(mkfifo((dir / "fifo.json").c_str(), 0600), 0);
  fs::create_symlink(dir / "loop2.json", dir / "loop1.json");
  fs::create_symlink(dir / "loop1.json", dir / "loop2.json");
  std::ofstream(dir / "huge.json") << "{}";
  fs::resize_file(dir / "huge.json", core::kMaxJsonFileBytes + 1);  // sparse: costs nothing
  const auto error = [](const fs::path& path) {
    const auto loaded = LoadScenarioFile(path.string());
    return loaded.ok() ? std::string("loaded") : loaded.status().message();
  };
  EXPECT_EQ(error(dir / "folder.json"),
            (dir / "folder.json").string() + ": is a folder, not a file");
  EXPECT_EQ(error(dir / "fifo.json"), (dir / "fifo.json").string() + ": is not a regular file");
  EXPECT_EQ(error("/dev/zero"), "/dev/zero: is not a regular file");
  EXPECT_EQ(error(dir / "huge.json"), (dir / "huge.json").string() + ": larger than 256 MiB");
  EXPECT_EQ(
      error(dir / "loop1.json"),
      (dir / "loop1.json").string() + ": cannot open file (Too many levels of symbolic links)");
  // In a folder, each is found, to be reported on its own, and the others still run.
  const auto found = FindScenarioFiles({dir.string()});
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->size(), 4u);  // fifo, huge, loop1, loop2; not the folder
  const auto named = FindScenarioFiles({(dir / "loop1.json").string()});
  ASSERT_TRUE(named.ok()) << named.status().message();
  fs::remove_all(dir);
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

TEST(ParseScenarioTest, ReadsAnExternalClientThatRunsInTheFilesFolder) {
  json s = Minimal();
  s.erase("reaper");
  s["client"] = json::parse(R"({"command": ["python3", "my_reaper.py", "--fast"],
                                "env": {"REAPER_IDLE_SECONDS": "600"}, "timeScale": 120,
                                "clientId": "c", "clientSecret": "s"})");
  s["expectFailure"] = true;
  auto parsed = ParseScenario(s, "suite/mine/s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->client.has_value());
  EXPECT_EQ(parsed->client->command, (std::vector<std::string>{"python3", "my_reaper.py", "--fast"}));
  EXPECT_EQ(parsed->client->env.at(0), (std::pair<std::string, std::string>{"REAPER_IDLE_SECONDS", "600"}));
  EXPECT_EQ(parsed->client->time_scale, 120);
  EXPECT_EQ(parsed->client->client_id, "c");
  EXPECT_EQ(parsed->client->working_dir, "suite/mine");
  EXPECT_TRUE(parsed->expect_failure);
}

TEST(ParseScenarioTest, RefusesABadExternalClient) {
  const auto with_client = [](const char* client) {
    json s = Minimal();
    s.erase("reaper");
    s["client"] = json::parse(client);
    return ErrorOf(s);
  };
  EXPECT_EQ(with_client(R"({})"), "s.json: /client: missing required field \"command\"");
  EXPECT_EQ(with_client(R"({"command": []})"),
            "s.json: /client/command: expected a non-empty array of strings: the program and its arguments");
  EXPECT_EQ(with_client(R"({"command": ["x", 1]})"), "s.json: /client/command/1: expected a string");
  EXPECT_EQ(with_client(R"({"command": [""]})"), "s.json: /client/command/0: the program is empty");
  EXPECT_EQ(with_client(R"({"command": ["x"], "env": {"A=B": "1"}})"), "s.json: /client/env/A=B: not a variable name");
  EXPECT_EQ(with_client(R"({"command": ["x"], "env": {"A": 1}})"), "s.json: /client/env/A: expected a string");
  EXPECT_EQ(with_client(R"({"command": ["x"], "timeScale": 0})"),
            "s.json: /client/timeScale: expected a number from 0.001 to 100000.0");
  EXPECT_EQ(with_client(R"({"command": ["x"], "speed": 2})"), "s.json: /client/speed: unknown field \"speed\"");
  json both = Minimal();
  both["client"] = json::parse(R"({"command": ["x"]})");
  EXPECT_EQ(ErrorOf(both),
            "s.json: /client: one client under test: \"reaper\" (the bundled one) or \"client\" "
            "(a program of your own), not both");
}

}  // namespace
}  // namespace gcsim::harness
