// `gcsim serve` as a user runs it: a child process on port 0, stopped by a signal.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "child_process.h"
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

using gcsim::testing::Child;
using gcsim::testing::ReadAll;
using gcsim::testing::ReadLine;
using gcsim::testing::Spawn;
using gcsim::testing::Wait;

// Starts `gcsim serve --port 0 ...` and returns the port it prints, or 0.
int StartServe(Child& child, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"serve", "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  child = Spawn(GCSIM_BINARY, args);
  if (child.pid < 0) return 0;
  const std::string line = ReadLine(child.out);
  const std::string prefix = "listening on http://127.0.0.1:";
  const std::string port = line.substr(std::min(prefix.size(), line.size()));
  if (line.rfind(prefix, 0) != 0 || port.empty() ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    ADD_FAILURE() << "first line: " << line;
    return 0;
  }
  return std::stoi(port);
}

json GetJson(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  const auto result = client.Get(path);
  return result ? json::parse(result->body, nullptr, false) : json();
}

TEST(ServeCommandTest, PrintsItsAddressServesAndStopsOnSigterm) {
  Child child;
  const int port = StartServe(child, {"--clock", "manual"});
  ASSERT_GT(port, 0);
  EXPECT_EQ(GetJson(port, "/sim/v1/health"), json({{"status", "ok"}}));
  const json clock = GetJson(port, "/sim/v1/clock");
  EXPECT_EQ(clock["mode"], "manual");
  EXPECT_EQ(GetJson(port, "/sim/v1/state")["conversations"][0]["id"], kConversationId)
      << "the demo world";
  kill(child.pid, SIGTERM);
  EXPECT_EQ(Wait(child), 0);
}

TEST(ServeCommandTest, SaysItsVersion) {
  Child child = Spawn(GCSIM_BINARY, {"--version"});
  ASSERT_GE(child.pid, 0);
  EXPECT_EQ(ReadAll(child.out), "gcsim " GCSIM_VERSION "\n");
  EXPECT_EQ(Wait(child), 0);
}

TEST(ServeCommandTest, StopsOnSigint) {
  Child child;
  const int port = StartServe(child);
  ASSERT_GT(port, 0);
  EXPECT_EQ(GetJson(port, "/sim/v1/clock")["mode"], "real");
  kill(child.pid, SIGINT);
  EXPECT_EQ(Wait(child), 0);
}

// Time sped up: the clock says so, and where the simulator's time starts.
TEST(ServeCommandTest, TimeScaleRunsTheRealClockFaster) {
  Child child;
  const int port = StartServe(child, {"--time-scale", "60"});
  ASSERT_GT(port, 0);
  EXPECT_EQ(ReadLine(child.out).rfind("time runs x60 from 2026-01-01T09:00:00.000Z", 0), 0u);
  const json clock = GetJson(port, "/sim/v1/clock");
  EXPECT_EQ(clock["mode"], "scaled");
  EXPECT_EQ(clock["timeScale"], 60);
  EXPECT_EQ(clock["now"].get<std::string>().rfind("2026-01-01T09:", 0), 0u) << clock;
  kill(child.pid, SIGTERM);
  EXPECT_EQ(Wait(child), 0);
}

TEST(ServeCommandTest, FlagsShapeTheWorld) {
  const std::string path = ::testing::TempDir() + "/gcsim_serve_world.json";
  std::ofstream(path) << R"({
    // comments are allowed in world files
    "profile": "observed",
    "conversations": [{"participants": [{"purpose": "customer"}, {"purpose": "agent"}]}]
  })";
  Child child;
  const int port = StartServe(
      child, {"--world", path, "--profile", "strict", "--disconnect-latency", "2s", "--rate-limit",
              "7", "--seed", "9", "--threads", "4", "--journal-limit", "10"});
  ASSERT_GT(port, 0);
  const json state = GetJson(port, "/sim/v1/state");
  EXPECT_EQ(state["profile"], "strict");
  EXPECT_EQ(state["disconnectLatency"], "2s");
  EXPECT_EQ(state["rateLimit"], 7);
  EXPECT_EQ(state["conversations"][0]["participants"].size(), 2u);
  kill(child.pid, SIGTERM);
  EXPECT_EQ(Wait(child), 0);
}

TEST(ServeCommandTest, BadInvocationsExitWithStatus2AndOneLine) {
  const std::string broken = ::testing::TempDir() + "/gcsim_broken_world.json";
  std::ofstream(broken) << R"({"conversations": [)";
  const std::string typo = ::testing::TempDir() + "/gcsim_typo_world.json";
  std::ofstream(typo) << R"({"profil": "strict"})";
  const std::vector<std::vector<std::string>> invocations = {
      {},
      {"serve", "--bogus"},
      {"serve", "--profile", "lenient"},
      {"serve", "--clock", "sundial"},
      {"serve", "--port", "70000"},
      {"serve", "--port", "http"},
      {"serve", "--disconnect-latency", "soon"},
      {"serve", "--rate-limit", "-1"},
      {"serve", "--threads", "0"},
      {"serve", "--world", "/nonexistent/world.json"},
      {"serve", "--world", broken},
      {"serve", "--world", typo},
      {"serve", "--world", "/dev/zero"},  // read to the end, it never ends
      {"serve", "--world", ::testing::TempDir()},
      {"serve", "--time-scale", "0"},
      {"serve", "--time-scale", "fast"},
      {"serve", "--time-scale", "60", "--clock", "manual"},
      {"serve", "--idle-timeout", "soon"},
      {"serve", "--host", ""},
      {"run", "--client-cmd", "python3 'my reaper.py", "x"},
      {"run", "--client-cmd", " ", "x"},
  };
  for (const auto& args : invocations) {
    std::string joined;
    for (const auto& arg : args) joined += " " + arg;
    SCOPED_TRACE("gcsim" + joined);
    Child child = Spawn(GCSIM_BINARY, args);
    ASSERT_GT(child.pid, 0);
    const std::string err = ReadAll(child.err);
    const std::string out = ReadAll(child.out);
    EXPECT_EQ(Wait(child), 2);
    EXPECT_EQ(out, "");
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(err.rfind("gcsim", 0), 0u) << err;
  }
}

// A count out of range names the bound it missed, in a short line.
// A number out of range, or not in plain decimal digits, names the bound it missed, in a
// short line: CLI11 alone took "0x10" and let "-1" wrap around in an unsigned flag.
TEST(ServeCommandTest, ACountOutOfRangeNamesItsBound) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"serve", "--rate-limit", "-1"},
       "--rate-limit: must be a whole number from 0 to 2147483647"},
      {{"serve", "--rate-limit", "2147483648"}, "--rate-limit: must be a whole number from 0 to"},
      {{"serve", "--journal-limit", "0"}, "--journal-limit: must be a whole number of at least 1"},
      {{"serve", "--max-legs", "0"}, "--max-legs: must be a whole number of at least 1"},
      {{"serve", "--max-conversations", "1.5"}, "--max-conversations: must be a whole number of"},
      {{"serve", "--port", "0x10"}, "--port: must be a whole number from 0 to 65535, not 0x10"},
      {{"serve", "--threads", " 5"}, "--threads: must be a whole number from 1 to 4096"},
      {{"serve", "--seed", "-1"}, "--seed: must be a whole number of at least 0, not -1"},
      {{"run", "--seed", "18446744073709551616", "x"}, "--seed: must be a whole number of at"},
      {{"soak", "--first-seed", "-1"}, "--first-seed: must be a whole number of at least 0"},
      {{"soak", "--seeds", "0"}, "--seeds: must be a whole number from 1 to 10000000, not 0"},
      {{"soak", "--seeds", "3", "--first-seed", "18446744073709551614"},
       "run past the last seed there is, 18446744073709551615"},
  };
  for (const auto& [args, message] : cases) {
    SCOPED_TRACE(args[1] + " " + args[2]);
    Child child = Spawn(GCSIM_BINARY, args);
    ASSERT_GT(child.pid, 0);
    const std::string err = ReadAll(child.err);
    ReadAll(child.out);
    EXPECT_EQ(Wait(child), 2);
    EXPECT_NE(err.find(message), std::string::npos) << err;
    EXPECT_LT(err.size(), 200u) << err;
  }
}

// A time scale must be a number in range: NaN passes every "not below, not above" check.
TEST(ServeCommandTest, ATimeScaleMustBeAFiniteNumberInRange) {
  for (const std::string command : {"serve", "run"}) {
    for (const std::string scale : {"nan", "-nan", "inf", "0", "1e6"}) {
      SCOPED_TRACE(command + " --time-scale " + scale);
      // The file is missing too, so a scale let through still exits rather than serving.
      const std::string missing = "/nonexistent/gcsim.json";
      Child child =
          Spawn(GCSIM_BINARY,
                command == "serve"
                    ? std::vector<std::string>{command, "--time-scale", scale, "--world", missing}
                    : std::vector<std::string>{command, "--time-scale", scale, missing});
      ASSERT_GT(child.pid, 0);
      const std::string err = ReadAll(child.err);
      ReadAll(child.out);
      EXPECT_EQ(Wait(child), 2);
      EXPECT_NE(err.find("--time-scale: must be a number from 0.001 to 100000, not " + scale),
                std::string::npos)
          << err;
    }
  }
}

TEST(ServeCommandTest, PortInUseFails) {
  Child first;
  const int port = StartServe(first);
  ASSERT_GT(port, 0);
  Child second = Spawn(GCSIM_BINARY, {"serve", "--port", std::to_string(port)});
  const std::string err = ReadAll(second.err);
  EXPECT_EQ(Wait(second), 1);
  EXPECT_NE(err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << err;
  kill(first.pid, SIGTERM);
  EXPECT_EQ(Wait(first), 0);
}

}  // namespace
}  // namespace gcsim::http::testing
