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

// A script that GETs the bridge's call at 1m and expects a 200.
json ScriptReadingTheCallAt1m() {
  return {{"requests",
           {{{"at", "1m"},
             {"method", "GET"},
             {"path", std::string("/api/v2/conversations/calls/") + kConversation},
             {"expectStatus", 200}}}}};
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
  EXPECT_TRUE(std::any_of(window->journal.begin(), window->journal.end(), [](const std::string& line) {
    return line.find("leg disconnected") != std::string::npos;
  })) << testing::PrintToString(window->journal);
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
  s["timeline"] = json::parse(R"([{"at": "1m", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "mute": true}])");
  Scenario scenario = Parse(s);
  scenario.timeline[0].leg = "00000000-0000-4000-8000-000000000000";  // the loader refuses it
  const ScenarioResult result = RunScenario(scenario);
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.error.find("/timeline/0"), std::string::npos) << result.error;
}

// A script that drops the customer, who talks all the time: `body` at `at`.
json DropRequest(const char* at, const char* leg = "1a2b3c4d-0000-4000-8000-000000000001") {
  return {{"at", at}, {"method", "PATCH"},
          {"path", std::string("/api/v2/conversations/") + kConversation + "/participants/" + leg},
          {"body", {{"state", "disconnected"}}}};
}

const Failure* SafetyFailure(const ScenarioResult& result) {
  for (const Failure& f : result.failures) {
    if (f.pointer == "/safety") return &f;
  }
  return nullptr;
}

TEST(RunScenarioTest, AnEarlyDropFailsTheScenarioWithoutBeingAsked) {
  json s = ReaperScenario();
  s.erase("reaper");
  s["runFor"] = "5m";
  s["script"] = {{"requests", {DropRequest("2m")}}};
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.metrics.early_drops, 1u);
  const Failure* safety = SafetyFailure(result);
  ASSERT_NE(safety, nullptr);
  EXPECT_NE(safety->actual.find("1a2b3c4d-0000-4000-8000-000000000001: PATCH by demo-client at 2m"),
            std::string::npos) << safety->actual;
  EXPECT_NE(safety->actual.find("reached it 0s after it was last heard"), std::string::npos)
      << safety->actual;
  ASSERT_FALSE(safety->journal.empty());

  // A scenario that shows an unsafe client on purpose opts out; the metric still counts.
  s["safety"] = {{"enforce", false}};
  s["expect"] = json::parse(R"([{"metric": "earlyDrops", "equals": 1}])");
  const ScenarioResult opted_out = RunScenario(Parse(s));
  EXPECT_TRUE(opted_out.passed) << (opted_out.failures.empty() ? "" : opted_out.failures[0].actual);
}

// Every attempt counts, not only the first: the second drop of a leg whose first drop has not
// landed yet reaches it after it was heard again.
TEST(RunScenarioTest, ARetryThatReachesALegHeardSinceIsAnEarlyDrop) {
  json s = ReaperScenario();
  s.erase("reaper");
  s["world"]["disconnectLatency"] = "5m";
  s["runFor"] = "12m";
  s["timeline"] = json::parse(R"([{"at": "10m5s", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890",
                                   "speech": "always"}])");
  s["script"] = {{"requests", {DropRequest("10m", kSupervisor), DropRequest("10m30s", kSupervisor)}}};
  s["safety"] = {{"enforce", false}};
  s["expect"] = json::parse(R"([{"metric": "earlyDrops", "equals": 1}])");
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error : result.failures[0].actual);
  EXPECT_EQ(result.metrics.early_drops, 1u);
}

// A client reads the conversation at 10m and its answer comes 2 s late; the supervisor, silent
// since the call began, talks from `talks_at`; the client drops it at `drops_at`. Speech that
// begins while the answer is on its way no read could show in time. `also_reads_at`: a second
// read, answered at once (the fault delays only the first).
ScenarioResult DropAfterASlowRead(const char* talks_at, const char* drops_at,
                                  const char* also_reads_at = nullptr) {
  json s = ReaperScenario();
  s.erase("reaper");
  s["faults"] = json::parse(R"([{"kind": "latency", "method": "GET", "delay": "2s", "count": 1}])");
  s["timeline"] = {{{"at", talks_at}, {"leg", kSupervisor}, {"speech", "always"}}};
  const json read = {{"method", "GET"},
                     {"path", std::string("/api/v2/conversations/calls/") + kConversation}};
  json requests = json::array();
  requests.push_back(read);
  requests.back()["at"] = "10m";
  if (also_reads_at != nullptr) {
    requests.push_back(read);
    requests.back()["at"] = also_reads_at;
  }
  requests.push_back(DropRequest(drops_at, kSupervisor));
  s["script"] = {{"requests", requests}};
  s["safety"] = {{"enforce", false}};
  return RunScenario(Parse(s), {.keep_journal = true});
}

// The drop request's journal entry.
const core::JournalEntry* DropEntry(const ScenarioResult& result) {
  for (const core::JournalEntry& entry : result.journal) {
    if (entry.drop_silent_since) return &entry;
  }
  return nullptr;
}

TEST(RunScenarioTest, SpeechNoReadCouldShowInTimeIsNotAnEarlyDrop) {
  // Heard from 10m1s, while the answer was on its way, and dropped as it came (the run's own
  // clients are allowed 1 ms): not early, though it talks as the drop reaches it.
  ScenarioResult result = DropAfterASlowRead("10m1s", "10m2s1ms");
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.metrics.early_drops, 0u);
  const core::JournalEntry* drop = DropEntry(result);
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->status, 202);
  EXPECT_EQ(drop->at, *drop->drop_silent_since);  // talking as the drop reached it
  ASSERT_TRUE(drop->drop_evidence.has_value());
  EXPECT_EQ(drop->drop_evidence->read_at, kSimulationStart + std::chrono::minutes(10));
  EXPECT_EQ(drop->drop_evidence->silent_since, kSimulationStart);
  // Heard from 9m59s: the read could have shown it.
  EXPECT_EQ(DropAfterASlowRead("9m59s", "10m2s1ms").metrics.early_drops, 1u);
  // Dropped half a second after the answer came: time enough to read again.
  EXPECT_EQ(DropAfterASlowRead("10m1s", "10m2s500ms").metrics.early_drops, 1u);
  // A newer read, answered at 10m1s500ms while the first was still on its way, showed the
  // supervisor talking: the older read answered later does not take its place.
  EXPECT_EQ(DropAfterASlowRead("10m1s", "10m2s1ms", "10m1s500ms").metrics.early_drops, 1u);
}

// A script request answered late moves the run's clock from a server thread while the run's
// own thread waits inside a timer for the answer: the timers due meanwhile fire, nothing hangs.
TEST(RunScenarioTest, AScriptRequestAnsweredLateDoesNotHangTheRun) {
  json s = ReaperScenario();
  s.erase("reaper");
  s["runFor"] = "5m";
  s["faults"] = json::parse(R"([{"kind": "latency", "method": "GET", "delay": "30s"}])");
  s["timeline"] = {{{"at", "1m10s"}, {"leg", kSupervisor}, {"mute", true}}};
  s["script"] = ScriptReadingTheCallAt1m();
  const ScenarioResult result = RunScenario(Parse(s), {.keep_journal = true});
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error
                                                         : result.failures[0].actual);
  EXPECT_EQ(result.simulated, std::chrono::minutes(5));
  // The mute came while the answer was on its way.
  std::vector<std::string> order;
  for (const core::JournalEntry& entry : result.journal) {
    if (entry.kind == "timeline" || entry.method == "GET")
      order.push_back(entry.kind + " " + entry.method);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"timeline ", "request GET"}));
}

// A script request whose answer a fault cut off was carried out (the journal says so): the run
// goes on, and an expected status reads "no answer".
TEST(RunScenarioTest, AScriptRequestWhoseAnswerAFaultLostIsNoRunError) {
  json s = ReaperScenario();
  s.erase("reaper");
  s["runFor"] = "3m";
  s["faults"] = json::parse(R"([{"kind": "reset", "method": "GET"}])");
  s["script"] = ScriptReadingTheCallAt1m();
  const ScenarioResult result = RunScenario(Parse(s), {.keep_journal = true});
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.simulated, std::chrono::minutes(3));
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].pointer, "/script/requests/0/expectStatus");
  EXPECT_EQ(result.failures[0].actual, "no answer");
  const auto lost = std::find_if(result.journal.begin(), result.journal.end(),
                                 [](const core::JournalEntry& e) { return e.answer_lost; });
  ASSERT_NE(lost, result.journal.end());
  EXPECT_EQ(lost->method, "GET");
}

// A scenario made in code may ask for more time than the clock has (the loader refuses it):
// the run ends where the clock stops rather than waiting for ever.
TEST(RunScenarioTest, ARunLongerThanTheClockEndsWhereTheClockStops) {
  json s = ReaperScenario();
  s.erase("reaper");
  s["script"] = ScriptReadingTheCallAt1m();
  Scenario scenario = Parse(s);
  scenario.run_for = kMaxDuration;
  const ScenarioResult result = RunScenario(scenario);
  EXPECT_TRUE(result.passed) << result.error;
  EXPECT_EQ(result.simulated, kLatestTime - kSimulationStart);
}

TEST(RunScenarioTest, MetricsWithAtAreJudgedAtThatTime) {
  json s = ReaperScenario();
  s["expect"] = json::parse(R"([
    {"metric": "drops", "at": "5m", "equals": 0},
    {"metric": "drops", "at": "11m", "equals": 1},
    {"metric": "idleLegsLeft", "at": "10m", "equals": 0},
    {"metric": "drops", "equals": 1}
  ])");
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error : result.failures[0].actual);
}

// A leg idle past the bound that the reaper neither dropped nor warned about (a dry run only
// logs it) fails idleLegsUnhandled, and the report names it. A budget of R requests a minute
// gives the reaper 3/R of a minute more.
TEST(RunScenarioTest, AnUnhandledIdleLegIsNamedAndABudgetGivesItTime) {
  json s = ReaperScenario();
  s["reaper"] = {{"dryRun", true}};
  s["expect"] = json::parse(R"([{"metric": "idleLegsUnhandled", "equals": 0}])");
  ScenarioResult result = RunScenario(Parse(s));
  ASSERT_EQ(result.failures.size(), 1u) << result.error;
  EXPECT_NE(result.failures[0].actual.find("idleLegsUnhandled = 1.0 (first " +
                                           std::string(kSupervisor) + ": user, silent since 0s"),
            std::string::npos)
      << result.failures[0].actual;
  // Two a minute: 90s more, and at 12m the supervisor is still owed (silent past 11m45.25s).
  s["world"]["rateLimit"] = 2;
  EXPECT_FALSE(RunScenario(Parse(s)).passed);
  // One a minute: three minutes more, so not yet (13m15.25s).
  s["world"]["rateLimit"] = 1;
  result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error
                                                         : result.failures[0].actual);
}

// The signals source sees a leg only once it is muted or held, so it is owed from then. And
// under a budget the legs idle take turns: three legs at one request a minute, 3 x 3 minutes.
TEST(RunScenarioTest, ASignalsLegIsOwedFromItsMuteAndBudgetedLegsTakeTurns) {
  json s = ReaperScenario();
  s["reaper"] = {{"dryRun", true}, {"activity", "signals"}};
  s["timeline"] = {{{"at", "5m"}, {"leg", kSupervisor}, {"mute", true}}};
  s["expect"] = json::parse(R"([{"metric": "idleLegsUnhandled", "equals": 0}])");
  ScenarioResult result = RunScenario(Parse(s));  // 12m: owed from 15m15s
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error
                                                         : result.failures[0].actual);
  s["runFor"] = "16m";
  EXPECT_FALSE(RunScenario(Parse(s)).passed);

  s = ReaperScenario();
  s["reaper"] = {{"dryRun", true}};
  s["world"]["rateLimit"] = 1;
  for (json& leg : s["world"]["conversations"][0]["participants"]) leg["speech"] = "never";
  s["expect"] = json::parse(R"([{"metric": "idleLegsUnhandled", "equals": 0}])");
  s["runFor"] = "19m";  // owed from 10m15.25s + 9m
  result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error
                                                         : result.failures[0].actual);
  s["runFor"] = "20m";
  result = RunScenario(Parse(s));
  ASSERT_EQ(result.failures.size(), 1u) << result.error;
  EXPECT_NE(result.failures[0].actual.find("idleLegsUnhandled = 3.0"), std::string::npos)
      << result.failures[0].actual;
}

// An early drop that makes a later timeline event impossible: a FAIL that shows the drop, and
// the event is skipped with a note, not an ERROR.
TEST(RunScenarioTest, AnEventOnALegDroppedEarlyIsSkippedWithANote) {
  json s = ReaperScenario();
  s.erase("reaper");
  s["runFor"] = "5m";
  s["script"] = {{"requests", {DropRequest("1m")}}};
  s["timeline"] = json::parse(R"([{"at": "3m", "leg": "1a2b3c4d-0000-4000-8000-000000000001", "mute": true},
    {"at": "4m", "leg": "1a2b3c4d-0000-4000-8000-000000000001", "transfer": true, "as": "back"},
    {"at": "4m30s", "leg": "back", "transfer": true, "as": "again"},
    {"at": "4m40s", "leg": "again", "hold": true}])");
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.error, "");
  EXPECT_NE(SafetyFailure(result), nullptr);
  ASSERT_EQ(result.notes.size(), 4u);
  EXPECT_NE(result.notes[0].find("3m timeline /timeline/0: mute skipped"), std::string::npos) << result.notes[0];
  EXPECT_NE(result.notes[2].find("was skipped"), std::string::npos) << result.notes[2];
  EXPECT_NE(result.notes[3].find("was skipped"), std::string::npos) << result.notes[3];
}

// The journal tells the story in time order: requests, timeline events and the reaper's
// decisions about a leg.
TEST(RunScenarioTest, TheJournalInterleavesEventsAndDecisions) {
  json s = ReaperScenario();
  s["timeline"] = json::parse(R"([{"at": "10m", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "mute": true}])");
  const ScenarioResult result = RunScenario(Parse(s), {.keep_journal = true});
  std::vector<std::string> story;
  TimePoint last{};
  for (const core::JournalEntry& entry : result.journal) {
    EXPECT_GE(entry.at, last);
    last = entry.at;
    if (entry.participant_id == kSupervisor && entry.kind != "request") {
      story.push_back(entry.kind + " " + entry.effect);
    }
  }
  ASSERT_GE(story.size(), 3u);
  EXPECT_EQ(story[0].rfind("timeline timeline /timeline/0: mute", 0), 0u) << story[0];
  const auto has = [&story](const std::string& text) {
    return std::any_of(story.begin(), story.end(),
                       [&](const std::string& line) { return line.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("reaper dropped")) << testing::PrintToString(story);
  EXPECT_TRUE(has("reaper verified")) << testing::PrintToString(story);
}

// A timeline speech script counts from the event that sets it, as a joined leg's counts from
// its join: intervals [1m, 1m1s) set at 5m are heard at 6m, not at 1m.
TEST(RunScenarioTest, TimelineSpeechCountsFromTheEvent) {
  json s = ReaperScenario();
  s["reaper"] = {{"idleTimeout", "5m30s"}};
  s["runFor"] = "7m";
  s["timeline"] = json::parse(R"([{"at": "5m", "leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890",
                                   "speech": {"intervals": [["1m", "1m1s"]]}}])");
  // Silent since 0 until heard at 6m: idle at 5m30s, so the reaper drops it then.
  s["expect"] = json::parse(R"([
    {"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "disconnectedBetween": ["5m30s", "5m46s"]}])");
  ScenarioResult result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error : result.failures[0].actual);
  // Set at 4m instead, the interval is heard at 5m, before the leg is idle: it survives (were
  // intervals counted from the run's start, [1m, 1m1s) would be past and the leg dropped).
  s["timeline"][0]["at"] = "4m";
  s["expect"] = json::parse(R"([{"leg": "9f8e7d6c-5b4a-3210-abcd-ef1234567890", "neverDropped": true}])");
  result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed) << (result.failures.empty() ? result.error : result.failures[0].actual);
}

TEST(RunScenarioTest, ThirtySimulatedMinutesOfTheSeedRun) {
  json s = ReaperScenario();
  s["runFor"] = "30m";
  const ScenarioResult result = RunScenario(Parse(s));
  EXPECT_TRUE(result.passed);
  EXPECT_EQ(result.simulated, std::chrono::minutes(30));
}

// Issue 11's "same seed, same faults, same journal": each bundled fault scenario, run twice,
// passes both times with the same journal, entry for entry.
TEST(RunScenarioTest, FaultScenariosReplayTheSameJournal) {
  auto files = FindScenarioFiles({std::string(GCSIM_SCENARIOS_DIR) + "/faults"});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_GE(files->size(), 10u);
  for (const std::string& file : *files) {
    auto scenario = LoadScenarioFile(file);
    ASSERT_TRUE(scenario.ok()) << scenario.status().ToString();
    const ScenarioResult first = RunScenario(*scenario, {.keep_journal = true});
    const ScenarioResult second = RunScenario(*scenario, {.keep_journal = true});
    EXPECT_TRUE(first.failures.empty() && first.error.empty()) << file;
    if (file.find("stale-analytics-30s") == std::string::npos) {  // the world's lag, not a fault
      EXPECT_GT(first.metrics.faults_injected, 0u) << file;
    }
    ASSERT_EQ(first.journal.size(), second.journal.size()) << file;
    for (size_t i = 0; i < first.journal.size(); ++i) {
      ASSERT_EQ(core::ToJson(first.journal[i]), core::ToJson(second.journal[i])) << file << " entry " << i;
    }
  }
}

}  // namespace
}  // namespace gcsim::harness
