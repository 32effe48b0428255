#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "reaper_command.h"

namespace gcsim::cli {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

struct Parsed {
  std::optional<int> exit_status;
  std::shared_ptr<ReaperCommandOptions> options;
  std::string err;
};

Parsed Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "reaper");
  CLI::App app;
  Parsed parsed;
  parsed.options = SetupReaper(app);
  std::ostringstream out, err;
  parsed.exit_status = ParseReaperArgs(app, static_cast<int>(args.size()), args.data(), out, err);
  parsed.err = err.str();
  return parsed;
}

TEST(ClientReaperCliTest, ParsesEveryFlag) {
  const Parsed parsed = Parse({"--api-url",        "https://api.mypurecloud.de",
                               "--client-id",      "id",
                               "--client-secret",  "s",
                               "--idle-timeout",   "5m30s",
                               "--poll-interval",  "2s",
                               "--activity",       "signals",
                               "--purposes",       "agent,acd",
                               "--verify-timeout", "1m",
                               "--max-attempts",   "5",
                               "--dry-run",        "--once",
                               "--log-format",     "json"});
  ASSERT_FALSE(parsed.exit_status.has_value()) << parsed.err;
  const ReaperCommandOptions& o = *parsed.options;
  EXPECT_EQ(o.api.api_url, "https://api.mypurecloud.de");
  EXPECT_EQ(o.api.login_url, "");
  EXPECT_EQ(o.reaper.idle_timeout, minutes(5) + seconds(30));
  EXPECT_EQ(o.reaper.poll_interval, seconds(2));
  EXPECT_EQ(o.reaper.verify_timeout, minutes(1));
  EXPECT_EQ(o.reaper.max_attempts, 5);
  EXPECT_EQ(o.reaper.purposes, (std::vector<std::string>{"agent", "acd"}));
  EXPECT_TRUE(o.reaper.dry_run);
  EXPECT_TRUE(o.once);
  EXPECT_EQ(o.activity, "signals");
  EXPECT_EQ(o.log_format, "json");
}

TEST(ClientReaperCliTest, ParsesTheAudioHookFlags) {
  const Parsed parsed = Parse({"--api-url", "http://127.0.0.1:8080", "--client-id", "id",
                               "--client-secret", "s", "--activity", "audiohook",
                               "--audiohook-listen", "0.0.0.0:9191", "--audiohook-api-key", "k"});
  ASSERT_FALSE(parsed.exit_status.has_value()) << parsed.err;
  EXPECT_EQ(parsed.options->activity, "audiohook");
  EXPECT_EQ(parsed.options->audiohook_listen, "0.0.0.0:9191");
  EXPECT_EQ(parsed.options->audiohook_api_key, "k");
}

TEST(ClientReaperCliTest, DefaultsMatchTheDesign) {
  const Parsed parsed =
      Parse({"--api-url", "http://127.0.0.1:8080", "--client-id", "id", "--client-secret", "s"});
  ASSERT_FALSE(parsed.exit_status.has_value()) << parsed.err;
  const ReaperCommandOptions& o = *parsed.options;
  EXPECT_EQ(o.reaper.idle_timeout, minutes(10));
  EXPECT_EQ(o.reaper.poll_interval, seconds(15));
  EXPECT_EQ(o.reaper.verify_timeout, seconds(30));
  EXPECT_EQ(o.reaper.max_attempts, 3);
  EXPECT_EQ(o.reaper.purposes, (std::vector<std::string>{"agent", "user", "customer", "external"}));
  EXPECT_FALSE(o.reaper.dry_run);
  EXPECT_FALSE(o.once);
  EXPECT_EQ(o.activity, "sim");
  EXPECT_EQ(o.log_format, "text");
}

TEST(ClientReaperCliTest, TakesCredentialsFromTheEnvironment) {
  ::setenv("GENESYS_CLIENT_ID", "env-id", 1);
  ::setenv("GENESYS_CLIENT_SECRET", "env-secret", 1);
  const Parsed parsed = Parse({"--api-url", "http://127.0.0.1:8080"});
  ::unsetenv("GENESYS_CLIENT_ID");
  ::unsetenv("GENESYS_CLIENT_SECRET");
  ASSERT_FALSE(parsed.exit_status.has_value()) << parsed.err;
  EXPECT_EQ(parsed.options->api.client_id, "env-id");
  EXPECT_EQ(parsed.options->api.client_secret, "env-secret");
}

TEST(ClientReaperCliTest, BadFlagsExitWithStatus2AndSayWhy) {
  const std::vector<std::pair<std::vector<const char*>, std::string>> cases = {
      {{}, "--api-url is required"},
      {{"--idle-timeout", "10"}, "number without a unit"},
      {{"--idle-timeout", "ten"}, "bad duration"},
      {{"--poll-interval", "0s"}, "--poll-interval: must be more than 0s"},
      {{"--idle-timeout", "0"}, "--idle-timeout: must be more than 0s"},
      {{"--verify-timeout", "-1s"}, "bad duration"},
      {{"--purposes", "agent,janitor"}, "janitor"},
      {{"--activity", "psychic"}, "psychic"},
      {{"--audiohook-listen", "9090"}, "HOST:PORT"},
      {{"--audiohook-listen", "127.0.0.1:70000"}, "HOST:PORT"},
      {{"--log-format", "xml"}, "xml"},
      {{"--max-attempts", "0"}, "--max-attempts"},
      {{"--max-attempts", "many"}, "--max-attempts"},
      {{"--login-url", "login.example"}, "bad URL"},
      {{"--frobnicate"}, "--frobnicate"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<const char*> args = {"--client-id", "id", "--client-secret", "s"};
    if (message != "--api-url is required") {
      args.insert(args.end(), {"--api-url", "http://127.0.0.1:8080"});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    const Parsed parsed = Parse(args);
    EXPECT_EQ(parsed.exit_status, std::optional<int>(2)) << message;
    EXPECT_NE(parsed.err.find(message), std::string::npos) << parsed.err;
    // One line, as the README promises, that says who is talking.
    EXPECT_EQ(std::count(parsed.err.begin(), parsed.err.end(), '\n'), 1) << parsed.err;
    EXPECT_EQ(parsed.err.rfind("reaper: ", 0), 0u) << parsed.err;
  }
  EXPECT_EQ(Parse({"--help"}).exit_status, std::optional<int>(0));
}

// A flag whose conversion throws (here a number too large for a double, which ParseDuration
// once let std::stod throw on) is a bad command line, not an abort.
TEST(ClientReaperCliTest, AFlagThatThrowsIsABadCommandLine) {
  const std::string huge = std::string(400, '9') + "s";
  const Parsed parsed = Parse({"--api-url", "http://127.0.0.1:8080", "--client-id", "id",
                               "--client-secret", "s", "--idle-timeout", huge.c_str()});
  EXPECT_EQ(parsed.exit_status, std::optional<int>(2)) << parsed.err;
  EXPECT_NE(parsed.err.find("--idle-timeout"), std::string::npos) << parsed.err;
}

TEST(ClientReaperCliTest, ReaperMainTurnsEveryOutcomeIntoAnExitStatus) {
  std::ostringstream out, err;
  const char* help[] = {"reaper", "--help"};
  EXPECT_EQ(ReaperMain(2, help, out, err), 0);
  const char* bad[] = {"reaper", "--frobnicate"};
  EXPECT_EQ(ReaperMain(2, bad, out, err), kExitUsage);
}

TEST(ClientReaperCliTest, HelpAndVersionNameTheProgramNotItsPath) {
  std::ostringstream out, err;
  const char* help[] = {"/opt/somewhere/build/bin/reaper", "--help"};
  ASSERT_EQ(ReaperMain(2, help, out, err), 0);
  EXPECT_NE(out.str().find("Usage: reaper "), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("/opt/somewhere"), std::string::npos) << out.str();
  out.str("");
  const char* version[] = {"/opt/somewhere/build/bin/reaper", "--version"};
  ASSERT_EQ(ReaperMain(2, version, out, err), 0);
  EXPECT_EQ(out.str(), "reaper (gcsim) " GCSIM_VERSION "\n");
}

TEST(ClientReaperCliTest, ExitStatusSaysWhatWasLeftUndone) {
  client::ReaperTotals totals;
  EXPECT_EQ(ReaperExitStatus(totals, 0), kExitOk);
  EXPECT_EQ(ReaperExitStatus(totals, 2), kExitUnverified);
  totals.stuck = 1;
  EXPECT_EQ(ReaperExitStatus(totals, 2), kExitStuckOrFailed);
  totals.stuck = 0;
  totals.errors = 1;
  EXPECT_EQ(ReaperExitStatus(totals, 0), kExitStuckOrFailed);
  EXPECT_EQ(kExitUnverified, 3);
  EXPECT_EQ(kExitFailedToRun, 4);
}

}  // namespace
}  // namespace gcsim::cli
