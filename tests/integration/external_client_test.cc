// External clients: real programs run as child processes against the simulator on a scaled
// clock, under libfaketime. Nothing here reads the wall clock: time is checked on the
// simulator's clock and on what the clients' own clocks said, both simulated.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "gcsim/harness/runner.h"
#include "gcsim/harness/scenario.h"

namespace gcsim::harness {
namespace {

using nlohmann::json;

#define REQUIRE_FAKETIME()                                                          \
  if (const auto lib = FindLibfaketime(); !lib.ok()) {                              \
    GTEST_SKIP() << "skipped: " << lib.status().message();                         \
  }

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// A bridge with one leg silent from the start, and a client running `command`.
Scenario WithClient(std::vector<std::string> command, const std::string& run_for, double scale = 120) {
  json s = {
      {"name", "external"},
      {"world",
       {{"oauthClients", {{{"clientId", "demo-client"}, {"clientSecret", "demo-secret"}}}},
        {"conversations",
         {{{"id", "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01"},
           {"participants",
            {{{"id", "9f8e7d6c-5b4a-3210-abcd-ef1234567890"}, {"purpose", "user"}},
             {{"purpose", "customer"}, {"speech", "always"}},
             {{"purpose", "agent"}, {"speech", "always"}}}}}}}}},
      {"client", {{"command", command}, {"timeScale", scale}}},
      {"runFor", run_for}};
  auto parsed = ParseScenario(s, "external.json");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : Scenario{};
}

Scenario LoadBundled(const std::string& name) {
  auto parsed = LoadScenarioFile(std::string(GCSIM_SCENARIOS_DIR) + "/your-client/" + name);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : Scenario{};
}

// The client's own clock and the simulator's agree when the simulator's answer was written
// between the client's readings before and after its request, whatever the request's wall time;
// a client on the wall clock would be off by 56 years, one that started late by minutes. The
// slack is the two clocks' common start, read to the nanosecond, and the answer's milliseconds.
constexpr Duration kClockSlack = std::chrono::seconds(1);

TimePoint FromEpochSeconds(double seconds) {
  return TimePoint(Duration(static_cast<int64_t>(seconds * 1000)));
}

void ExpectReadBetween(TimePoint before, TimePoint simulated, TimePoint after) {
  EXPECT_LE(before - kClockSlack, simulated)
      << FormatIso8601(simulated) << " before the client's " << FormatIso8601(before);
  EXPECT_LE(simulated, after + kClockSlack)
      << FormatIso8601(simulated) << " after the client's " << FormatIso8601(after);
}

// Each line a client printed: its own clock (seconds since the epoch) before a request, the
// simulator's clock in the answer, its own clock after the answer; then it slept a simulated
// minute and asked again. The clocks must agree on every line, and each sleep must take a minute
// on them.
void ExpectKeptTime(const ScenarioResult& result) {
  ASSERT_TRUE(result.client.has_value()) << result.error;
  std::stringstream lines(result.client->out);
  struct Line {
    TimePoint before, simulated, after;
  };
  std::vector<Line> seen;
  double before = 0, after = 0;
  std::string simulated;
  while (lines >> before >> simulated >> after) {
    const auto sim = ParseIso8601(simulated);
    ASSERT_TRUE(sim.ok()) << simulated;
    seen.push_back({FromEpochSeconds(before), *sim, FromEpochSeconds(after)});
  }
  ASSERT_GE(seen.size(), 3u) << "stdout: " << result.client->out << "\nstderr: " << result.client->err;
  for (size_t i = 0; i < seen.size(); ++i) {
    ExpectReadBetween(seen[i].before, seen[i].simulated, seen[i].after);
    if (i == 0) continue;
    // From one answer to the next request: the sleep, and the printing and looping around it.
    const Duration slept = seen[i].before - seen[i - 1].after;
    EXPECT_GE(slept, std::chrono::seconds(60) - std::chrono::milliseconds(1));
    // Past the minute is the wall time the program took to wake and loop, times 120: up to a
    // quarter of a second on a loaded machine. A sleep on the wall clock would take two hours.
    EXPECT_LT(slept, std::chrono::seconds(90)) << "a minute's sleep took " << FormatDuration(slept);
  }
}

TEST(ExternalClientTest, PythonSleepKeepsTheSimulatorsTime) {
  REQUIRE_FAKETIME();
  // The sleeps are the client's, on its simulated clock: half a second of wall time each.
  const char* program = R"(
import json, os, signal, time, urllib.request
for _ in range(4):
    time.sleep(60)
    before = time.time()
    now = json.load(urllib.request.urlopen(os.environ["GCSIM_CONTROL_URL"] + "/clock"))["now"]
    print(f"{before:.3f} {now} {time.time():.3f}", flush=True)
signal.pause()  # until the harness stops it
)";
  const ScenarioResult result = RunScenario(WithClient({"python3", "-c", program}, "6m"));
  EXPECT_TRUE(result.passed) << result.error;
  EXPECT_TRUE(result.notes.empty()) << result.notes[0];  // the client's clock start was seen
  ExpectKeptTime(result);
  EXPECT_EQ(result.client->exit, "ended by SIGTERM");
}

// At x1000 a program's 20 ms of wall time is 20 simulated seconds: the report says that the
// safety check's think time is that loose.
TEST(ExternalClientTest, AHighTimeScaleIsNotedAsJudgingSafetyLoosely) {
  REQUIRE_FAKETIME();
  const char* program = "import signal; signal.pause()";
  const ScenarioResult result = RunScenario(WithClient({"python3", "-c", program}, "1m", 1000));
  ASSERT_FALSE(result.notes.empty()) << result.error;
  EXPECT_NE(result.notes[0].find("safety judged loosely"), std::string::npos) << result.notes[0];
  EXPECT_NE(result.notes[0].find("20s"), std::string::npos) << result.notes[0];
}

TEST(ExternalClientTest, NodeSetTimeoutKeepsTheSimulatorsTime) {
  REQUIRE_FAKETIME();
  if (!OnPath("node")) GTEST_SKIP() << "skipped: node is not installed (no `node` on PATH)";
  const char* program = R"(
const http = require("http");
let left = 4;
const seconds = () => (Date.now() / 1000).toFixed(3);
function tick() {
  const before = seconds();
  http.get(process.env.GCSIM_CONTROL_URL + "/clock", (res) => {
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => {
      console.log(before + " " + JSON.parse(body).now + " " + seconds());
      if (--left > 0) setTimeout(tick, 60000);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);  // until SIGTERM
    });
  });
}
setTimeout(tick, 60000);
)";
  const ScenarioResult result = RunScenario(WithClient({"node", "-e", program}, "6m"));
  EXPECT_TRUE(result.passed) << result.error;
  ExpectKeptTime(result);
}

// "clockSkew" sets a program's own clock apart from the simulator's, as on a machine whose clock
// is off; a scenario's reaper.clockSkew goes to the program --client-cmd runs in its place. The
// program prints its own clock before and after a request and the simulator's in the answer:
// moved back by the skew, its clock must agree with the simulator's (ExpectReadBetween).
TEST(ExternalClientTest, AClientsClockSkewMovesItsOwnClock) {
  REQUIRE_FAKETIME();
  const std::string program =
      "import json, os, signal, time, urllib.request\n"
      "before = time.time()\n"
      "now = json.load(urllib.request.urlopen(os.environ['GCSIM_CONTROL_URL'] + '/clock'))['now']\n"
      "print(before, now, time.time(), flush=True)\n"
      "signal.pause()\n";
  const auto expect_skew = [](const ScenarioResult& result, Duration skew) {
    ASSERT_TRUE(result.client.has_value()) << result.error;
    std::stringstream out(result.client->out);
    double before = 0, after = 0;
    std::string simulated;
    out >> before >> simulated >> after;
    const Result<TimePoint> sim = ParseIso8601(simulated);
    ASSERT_TRUE(sim.ok()) << "stdout: " << result.client->out << "\nstderr: " << result.client->err;
    ExpectReadBetween(FromEpochSeconds(before) - skew, *sim, FromEpochSeconds(after) - skew);
  };
  json s = {{"name", "skewed"},
            {"world",
             {{"oauthClients", {{{"clientId", "demo-client"}, {"clientSecret", "demo-secret"}}}}}},
            {"client",
             {{"command", {"python3", "-c", program}}, {"timeScale", 120}, {"clockSkew", "-1h"}}},
            {"runFor", "4m"}};
  auto skewed = ParseScenario(s, "skewed.json");
  ASSERT_TRUE(skewed.ok()) << skewed.status().ToString();
  expect_skew(RunScenario(*skewed), -std::chrono::hours(1));

  s.erase("client");
  s["reaper"] = {{"clockSkew", "2h"}};
  auto with_reaper = ParseScenario(s, "skewed.json");
  ASSERT_TRUE(with_reaper.ok()) << with_reaper.status().ToString();
  RunOptions options;
  options.client_command = "python3 -c \"" + program + "\"";
  options.time_scale = 120;
  expect_skew(RunScenario(*with_reaper, options), std::chrono::hours(2));

  s["reaper"]["clockSkew"] = "1500ms";
  s["client"] = s["reaper"];
  s["client"]["command"] = {"true"};
  s.erase("reaper");
  const auto refused = ParseScenario(s, "skewed.json");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(
                "/client/clockSkew: a program's clock is set in whole seconds"),
            std::string::npos)
      << refused.status().message();
}

TEST(ExternalClientTest, AProgramNotFoundIsAClearError) {
  REQUIRE_FAKETIME();
  const ScenarioResult result = RunScenario(WithClient({"gcsim-no-such-program"}, "1m"));
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.error,
            "/client: the client command could not start: gcsim-no-such-program: not found on PATH");
}

// --client-cmd is split into words as a shell would split it, and started without a shell.
TEST(ExternalClientTest, ClientCmdIsSplitIntoWordsAndStartedDirectly) {
  REQUIRE_FAKETIME();
  RunOptions options;
  options.client_command = "gcsim-no-such-program --fast";
  ScenarioResult result = RunScenario(WithClient({"unused"}, "10m"), options);
  EXPECT_EQ(result.error,
            "/client: the client command could not start: gcsim-no-such-program: not found on PATH");
  options.client_command = R"(sh -c 'echo "sh: 1: my_reaper: not found" >&2; exit 127')";
  result = RunScenario(WithClient({"unused"}, "10m"), options);
  EXPECT_EQ(result.client->command, R"(sh -c echo "sh: 1: my_reaper: not found" >&2; exit 127)");
  EXPECT_NE(result.error.find("/client: the client exited with status 127 at "), std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("(status 127: the command was not found); its stderr ends:\nsh: 1: my_reaper: not found"),
            std::string::npos)
      << result.error;
}

TEST(ExternalClientTest, AClientThatExitsAtOnceIsAnErrorWithItsStderr) {
  REQUIRE_FAKETIME();
  const ScenarioResult result = RunScenario(WithClient(
      {"python3", "-c", "import sys; print('no token for you', file=sys.stderr); sys.exit(3)"}, "10m"));
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.error.find("/client: the client exited with status 3 at "), std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("a client under test must run until it is stopped; its stderr ends:\nno token for you"),
            std::string::npos)
      << result.error;
  EXPECT_EQ(result.client->exit_code, 3);
}

TEST(ExternalClientTest, AClientThatIgnoresSigtermIsKilledAndFails) {
  REQUIRE_FAKETIME();
  RunOptions options;
  options.stop_grace = std::chrono::milliseconds(200);
  const ScenarioResult result = RunScenario(
      // The shell ignores SIGTERM within a few milliseconds of starting, and the program it
      // becomes inherits that: a python3 that set it up itself could still be starting, under
      // load, when the harness sends SIGTERM half a second in. Only SIGKILL ends it.
      WithClient({"/bin/sh", "-c",
                  "trap '' TERM; echo ready; "
                  "exec python3 -c 'import signal\nwhile True: signal.pause()'"},
                 "1m"),
      options);
  EXPECT_FALSE(result.passed);
  EXPECT_TRUE(result.error.empty()) << result.error;
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].pointer, "/client");
  EXPECT_EQ(result.failures[0].actual, "still running 200ms after SIGTERM: killed with SIGKILL");
  EXPECT_EQ(result.client->exit, "ended by SIGKILL");
  EXPECT_EQ(result.client->out, "ready\n");
}

TEST(ExternalClientTest, WithoutLibfaketimeTheScenarioSaysWhatToInstall) {
  setenv("GCSIM_LIBFAKETIME", "/nonexistent/libfaketime.so.1", 1);
  const ScenarioResult result = RunScenario(WithClient({"python3", "-c", "pass"}, "1m"));
  unsetenv("GCSIM_LIBFAKETIME");
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.error, "/client: GCSIM_LIBFAKETIME=/nonexistent/libfaketime.so.1: no such readable file");
}

// The bundled example of the seed's trap fails, as it declares, and the report names why.
TEST(ExternalClientTest, TheNaiveReaperFailsWithItsNoOpPatchesNamed) {
  REQUIRE_FAKETIME();
  const ScenarioResult result = RunScenario(LoadBundled("naive-patch.json"));
  EXPECT_TRUE(result.error.empty()) << result.error;
  EXPECT_TRUE(result.expected_failure);
  EXPECT_TRUE(result.passed);  // it failed, as expected
  EXPECT_GE(result.metrics.no_op_patches, 2u);
  bool named = false;
  for (const Failure& failure : result.failures) {
    named |= failure.actual.find(" PATCHes answered 204 and changed nothing; fields ignored: "
                                 "dispositionCode, dropReason") != std::string::npos;
  }
  EXPECT_TRUE(named);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_NE(result.findings[0].find("changed nothing; fields ignored: dispositionCode, dropReason"),
            std::string::npos);
}

// --client-cmd puts your program in place of the file's client, and the file's expectFailure
// no longer applies: the fixed reaper passes the naive reaper's scenario.
TEST(ExternalClientTest, ClientCmdRunsYourProgramInstead) {
  REQUIRE_FAKETIME();
  RunOptions options;
  options.client_command = "python3 " + std::string(GCSIM_EXAMPLES_DIR) + "/fixed_reaper.py";
  const ScenarioResult result = RunScenario(LoadBundled("naive-patch.json"), options);
  std::string failures;
  for (const Failure& f : result.failures) failures += f.pointer + ": " + f.actual + "\n";
  EXPECT_TRUE(result.passed) << result.error << failures << result.client->err;
  EXPECT_FALSE(result.expected_failure);
  EXPECT_EQ(result.metrics.no_op_patches, 0u);
  EXPECT_EQ(result.metrics.drops, 1u);
  EXPECT_EQ(result.metrics.early_drops, 0u);
  EXPECT_NE(result.client->out.find("verified: 9f8e7d6c-5b4a-3210-abcd-ef1234567890 is gone"),
            std::string::npos)
      << result.client->out;
}

}  // namespace
}  // namespace gcsim::harness
