// The reaper against a real gcsim over loopback: in-process on one ManualClock, and the two
// binaries run as a user would.
#include "gcsim/client/reaper.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>
#include <tuple>

#include "child_process.h"
#include "gcsim/client/activity_source.h"
#include "gcsim/client/api_client.h"
#include "gcsim/client/notifications_source.h"
#include "gcsim/client/transport.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"
#include "gcsim_and_client.h"

namespace gcsim {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const std::string kConversation(core::kDemoConversationId);
const std::string kSupervisor(core::kDemoSupervisorId);

// The activity source the reaper CLI's --activity names ("sim", "signals", "notifications").
std::unique_ptr<client::ActivitySource> SourceFor(const std::string& activity,
                                                  client::ApiClient& api, Clock& clock) {
  if (activity == "signals") return std::make_unique<client::SignalsActivitySource>(api);
  if (activity == "notifications") {
    return std::make_unique<client::NotificationsActivitySource>(api, clock);
  }
  return std::make_unique<client::SimActivitySource>(api);
}

class ReaperAgainstGcsimTest : public ::testing::Test {
 protected:
  void Start(const std::string& activity) {
    source_ = SourceFor(activity, *gcsim_.client, clock_);
    reaper_ = std::make_unique<client::Reaper>(client::ReaperOptions{}, *gcsim_.client, *source_,
                                               clock_, logger_);
  }
  void TearDown() override {
    reaper_.reset();
    source_.reset();
  }

  core::LegState StateOf(const std::string& id) {
    core::LegState state{};
    gcsim_.sim->Read(
        [&](const core::WorldView& world) { state = world.FindParticipant(id)->state; });
    return state;
  }

  // Ticks every 15s from now to `until`, collecting what was dropped and verified.
  void TickUntil(TimePoint until, std::vector<client::LegId>& dropped, std::vector<client::LegId>& verified) {
    while (clock_.Now() <= until) {
      const client::StepReport report = reaper_->Step(clock_.Now());
      for (const auto& drop : report.dropped) dropped.push_back(drop.leg);
      verified.insert(verified.end(), report.verified.begin(), report.verified.end());
      clock_.Advance(seconds(15));
    }
  }

  // Mutes the agent and ticks past the idle timeout: the muted agent is dropped, the quiet
  // supervisor (invisible to signals) is not.
  void ExpectSignalsDropOnlyTheMutedAgent() {
    ASSERT_TRUE(gcsim_.sim->SetMuted(std::string(core::kDemoAgentId), true).ok());
    std::vector<client::LegId> dropped, verified;
    TickUntil(clock_.Now() + minutes(11), dropped, verified);
    ASSERT_EQ(dropped.size(), 1u);
    EXPECT_EQ(dropped[0].participant_id, std::string(core::kDemoAgentId));
    EXPECT_EQ(StateOf(kSupervisor), core::LegState::kConnected);
  }

  ManualClock clock_{{.advance_on_wait = true}};
  std::ostringstream log_;
  client::Logger logger_{log_, clock_};
  testing::GcsimAndClient gcsim_{clock_};
  std::unique_ptr<client::ActivitySource> source_;
  std::unique_ptr<client::Reaper> reaper_;
};

TEST_F(ReaperAgainstGcsimTest, OnlyTheIdleLegIsDroppedVerifiedAndTheBridgeGoesOn) {
  Start("sim");
  const TimePoint t0 = clock_.Now();
  std::vector<client::LegId> dropped, verified;
  TickUntil(t0 + minutes(9) + seconds(45), dropped, verified);
  EXPECT_TRUE(dropped.empty()) << "nothing is idle before ten minutes";
  TickUntil(t0 + minutes(11), dropped, verified);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].participant_id, kSupervisor);
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].participant_id, kSupervisor);
  EXPECT_EQ(StateOf(kSupervisor), core::LegState::kDisconnected);
  EXPECT_EQ(StateOf(std::string(core::kDemoCustomerId)), core::LegState::kConnected);
  EXPECT_EQ(StateOf(std::string(core::kDemoAgentId)), core::LegState::kConnected);
  const client::ReaperTotals totals = reaper_->totals();
  EXPECT_EQ(totals.dropped, 1u);
  EXPECT_EQ(totals.verified, 1u);
  EXPECT_EQ(totals.stuck, 0u);
  EXPECT_EQ(totals.rate_limited, 0u);
}

TEST_F(ReaperAgainstGcsimTest, SignalsSourceDropsALegMutedForTheWholeTimeout) {
  Start("signals");
  ExpectSignalsDropOnlyTheMutedAgent();
}

// The details query selects conversations by the day they started: a bridge up for days is
// still found, inside the source's week of lookback.
TEST_F(ReaperAgainstGcsimTest, SignalsSourceFindsABridgeUpForDays) {
  Start("signals");
  clock_.Advance(std::chrono::days(3));
  ExpectSignalsDropOnlyTheMutedAgent();
}

// A reaper whose clock is an hour off gcsim's, either way, reads the server's times on its own
// clock through the Date of each answer: no leg goes before its ten minutes on the server's
// clock (an hour ahead, the muted agent looked silent for an hour at once), and none waits
// for its ten minutes an hour late (an hour behind, the supervisor was never silent in time).
class SkewedReaperTest : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

TEST_P(SkewedReaperTest, DropsOnTheServersTimeNotItsOwn) {
  const auto [activity, skew_minutes] = GetParam();
  ManualClock server_clock;
  ManualClock reaper_clock(
      {.start = kSimulationStart + minutes(skew_minutes), .advance_on_wait = true});
  testing::GcsimAndClient gcsim(server_clock, &reaper_clock);
  const std::unique_ptr<client::ActivitySource> source =
      SourceFor(activity, *gcsim.client, reaper_clock);
  std::string idle = kSupervisor;
  if (std::string(activity) == "signals") {
    ASSERT_TRUE(gcsim.sim->SetMuted(std::string(core::kDemoAgentId), true).ok());
    idle = std::string(core::kDemoAgentId);  // signals see mute and hold, not the quiet supervisor
  }
  std::ostringstream log;
  client::Logger logger(log, reaper_clock);
  client::Reaper reaper(client::ReaperOptions{}, *gcsim.client, *source, reaper_clock, logger);
  std::vector<std::pair<std::string, Duration>> dropped;  // who, and when on the server's clock
  while (server_clock.Now() <= kSimulationStart + minutes(11)) {
    for (const auto& drop : reaper.Step(reaper_clock.Now()).dropped) {
      dropped.emplace_back(drop.leg.participant_id, server_clock.Now() - kSimulationStart);
    }
    server_clock.Advance(seconds(15));
    reaper_clock.Advance(seconds(15));
  }
  ASSERT_EQ(dropped.size(), 1u) << log.str();
  EXPECT_EQ(dropped[0].first, idle);
  EXPECT_GE(dropped[0].second, minutes(10)) << "dropped early";
  EXPECT_LE(dropped[0].second, minutes(10) + seconds(15)) << "dropped a tick late or more";
}

INSTANTIATE_TEST_SUITE_P(AnHourEitherWay, SkewedReaperTest,
                         ::testing::Combine(::testing::Values("sim", "signals", "notifications"),
                                            ::testing::Values(60, -60)),
                         [](const ::testing::TestParamInfo<SkewedReaperTest::ParamType>& test) {
                           return std::string(std::get<0>(test.param)) +
                                  (std::get<1>(test.param) > 0 ? "ReaperAhead" : "ReaperBehind");
                         });

// The two clocks apart: one stands still while the other runs (gcsim's manual clock, or a
// reaper's clock that a test or a debugger holds), or one jumps. Silence is time passing where
// the legs are, on the server's clock, whichever one moves.
class OneClockStandsStillTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gcsim_.sim->SetMuted(std::string(core::kDemoAgentId), true).ok());
    source_ = SourceFor(GetParam(), *gcsim_.client, reaper_clock_);
    reaper_ = std::make_unique<client::Reaper>(client::ReaperOptions{}, *gcsim_.client, *source_,
                                               reaper_clock_, logger_);
    // A minute on both clocks first, so that every source has read the legs with time passing.
    for (int tick = 0; tick < 4; ++tick) Tick(seconds(15), seconds(15));
  }

  // One step, then each clock moves on by its own amount; what it dropped.
  size_t Tick(Duration server, Duration reaper) {
    const size_t dropped = reaper_->Step(reaper_clock_.Now()).dropped.size();
    server_clock_.Advance(server);
    reaper_clock_.Advance(reaper);
    return dropped;
  }

  ManualClock server_clock_;
  ManualClock reaper_clock_{{.advance_on_wait = true}};
  testing::GcsimAndClient gcsim_{server_clock_, &reaper_clock_};
  std::ostringstream log_;
  client::Logger logger_{log_, reaper_clock_};
  std::unique_ptr<client::ActivitySource> source_;
  std::unique_ptr<client::Reaper> reaper_;
};

// No time passes where the legs are, so none has been silent for ten minutes, however long the
// reaper waits. (The notifications source counted its watch on its own clock, and read the
// legs' times through an offset as old as its last answer: it dropped the quiet supervisor
// after ten minutes of the reaper's.) When the server's clock moves on, the idle legs go: in the
// next tick where a source polls; the notifications source sees the jump at its next answer,
// by the reaper's own clock at the latest (ServerClockJumpsTest).
TEST_P(OneClockStandsStillTest, NoLegIsSilentWhileTheServersClockStandsStill) {
  for (int tick = 0; tick < 80; ++tick) {
    ASSERT_EQ(Tick(Duration::zero(), seconds(15)), 0u)
        << "dropped at " << FormatIso8601(reaper_clock_.Now()) << " on the reaper's clock\n"
        << log_.str();
  }
  server_clock_.Advance(minutes(10));
  const int ticks = std::string(GetParam()) == "notifications" ? 41 : 1;
  size_t dropped = 0;
  for (int tick = 0; tick < ticks && dropped == 0; ++tick) {
    dropped = Tick(seconds(15), seconds(15));
  }
  EXPECT_GT(dropped, 0u) << log_.str();
}

INSTANTIATE_TEST_SUITE_P(EachSource, OneClockStandsStillTest,
                         ::testing::Values("sim", "signals", "notifications"),
                         [](const ::testing::TestParamInfo<const char*>& test) {
                           return std::string(test.param);
                         });

// The server's clock alone runs: the idle legs go at ten minutes on it, not never. The sources
// that poll read the server's clock in every tick's answers. (The `server_time` after a step is
// the step's time plus the tick.)
class ReaperClockStandsStillTest : public OneClockStandsStillTest {};

TEST_P(ReaperClockStandsStillTest, TheIdleLegsGoAtTenMinutesOnTheServersClock) {
  Duration server_time = minutes(1);
  size_t dropped = 0;
  while (dropped == 0 && server_time <= minutes(11)) {
    dropped = Tick(seconds(15), Duration::zero());
    server_time += seconds(15);
  }
  ASSERT_GT(dropped, 0u) << log_.str();
  EXPECT_GE(server_time, minutes(10) + seconds(15)) << "dropped early";
  EXPECT_LE(server_time, minutes(10) + seconds(30)) << "dropped a tick late or more";
}

INSTANTIATE_TEST_SUITE_P(PollingSources, ReaperClockStandsStillTest,
                         ::testing::Values("sim", "signals"),
                         [](const ::testing::TestParamInfo<const char*>& test) {
                           return std::string(test.param);
                         });

// The notifications source sends no request while no leg looks silent to it, so it sees a jump
// of the server's clock at its next answer only: a leg quiet across the jump goes once the
// reaper's own clock has run the timeout, late on the server's clock, never early.
class ServerClockJumpsTest : public OneClockStandsStillTest {};

TEST_P(ServerClockJumpsTest, AQuietLegGoesByTheReapersClockAtTheLatest) {
  server_clock_.Advance(minutes(30));
  Duration reaper_time = minutes(1);  // since the watch began
  size_t dropped = 0;
  while (dropped == 0 && reaper_time <= minutes(11)) {
    dropped = Tick(seconds(15), seconds(15));
    reaper_time += seconds(15);
  }
  ASSERT_GT(dropped, 0u) << log_.str();
  // The watch began a second after its subscriptions' answer was dated: the first tick at ten
  // minutes and a second.
  EXPECT_LE(reaper_time, minutes(10) + seconds(30)) << "later than the reaper's own clock says";
}

INSTANTIATE_TEST_SUITE_P(Notifications, ServerClockJumpsTest, ::testing::Values("notifications"),
                         [](const ::testing::TestParamInfo<const char*>& test) {
                           return std::string(test.param);
                         });

// `gcsim serve` on a manual clock on port 0, and where it listens (port 0: it did not say).
struct ManualServe {
  testing::Child child;
  std::string address;  // its first line: "listening on http://127.0.0.1:PORT"
  std::string url;
  int port = 0;
};

ManualServe StartManualServe(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"serve", "--port", "0", "--clock", "manual"};
  args.insert(args.end(), extra.begin(), extra.end());
  ManualServe serve{testing::Spawn(GCSIM_BINARY, args)};
  serve.address = testing::ReadLine(serve.child.out);
  const std::string prefix = "listening on ";
  if (serve.address.rfind(prefix + "http://127.0.0.1:", 0) != 0) return serve;
  serve.url = serve.address.substr(prefix.size());
  serve.port = std::stoi(serve.url.substr(serve.url.rfind(':') + 1));
  return serve;
}

httplib::Result Advance(int port, const std::string& by) {
  httplib::Client control("127.0.0.1", port);
  return control.Post("/sim/v1/clock/advance", "{\"by\":\"" + by + "\"}", "application/json");
}

// The "done when": gcsim serve on a manual clock advanced past the timeout, then
// `reaper --once` drops exactly the silent leg and prints the summary.
TEST(ReaperBinaryTest, OnceAgainstGcsimServeDropsTheSilentLegAndSummarises) {
  ManualServe serve = StartManualServe();
  ASSERT_NE(serve.port, 0) << serve.address;
  const std::string& url = serve.url;
  const int port = serve.port;
  // A minute past the timeout: the reaper reads the server's clock to the second its Date
  // shows, so a leg exactly ten minutes silent may still be a hair short of it.
  ASSERT_TRUE(Advance(port, "11m"));

  testing::Child reaper = testing::Spawn(
      GCSIM_REAPER_BINARY, {"--api-url", url, "--client-id", "demo-client", "--client-secret",
                            "demo-secret", "--activity", "sim", "--once"});
  // The drop lands when the server's clock moves: move it once the reaper has dropped.
  std::string log;
  for (std::string line; !(line = testing::ReadLine(reaper.err)).empty();) {  // empty: EOF
    log += line + "\n";
    if (line.find("dropped") != std::string::npos) break;
  }
  ASSERT_NE(log.find(kSupervisor), std::string::npos) << log;
  ASSERT_TRUE(Advance(port, "1s"));
  const std::string summary = testing::ReadAll(reaper.out);
  EXPECT_EQ(testing::Wait(reaper), 0) << summary << log;
  EXPECT_NE(summary.find("dropped 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("verified 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("stuck 0"), std::string::npos) << summary;
  // Measured on the server's clock, read through its Date (the manual clock stands eleven
  // months before the reaper's): the drop came a minute after the leg's ten minutes, when the
  // clock was moved there.
  const std::string worst = "worst lateness ";
  const size_t at = summary.find(worst);
  ASSERT_NE(at, std::string::npos) << summary;
  const std::string lateness =
      summary.substr(at + worst.size(), summary.find(',', at) - at - worst.size());
  const Result<Duration> late = ParseDuration(lateness);
  ASSERT_TRUE(late.ok()) << summary;
  EXPECT_GE(*late, minutes(1)) << summary;
  EXPECT_LT(*late, minutes(1) + seconds(5)) << summary;

  httplib::Client check("127.0.0.1", port);
  const auto state = check.Get("/sim/v1/state");
  ASSERT_TRUE(state);
  const auto world = nlohmann::json::parse(state->body);
  for (const auto& leg : world["conversations"][0]["participants"]) {
    EXPECT_EQ(leg["state"], leg["id"] == kSupervisor ? "disconnected" : "connected") << leg.dump();
  }
  kill(serve.child.pid, SIGTERM);
  EXPECT_EQ(testing::Wait(serve.child), 0);
}

// A free port on the loopback, for a server that must be named before it starts. (Another
// process could take it in between: unlikely, and the test would then fail, not hang.)
int FreePort() {
  const int sock = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}};
  socklen_t length = sizeof address;
  const bool bound = bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(sock);
  return bound ? ntohs(address.sin_port) : 0;
}

// The README's AudioHook flow with both binaries, on the real clock (the source places audio on
// its own clock, as a real org's streams run): gcsim streams each leg's audio to the reaper's
// AudioHook server, and the silent supervisor is dropped on its audio, never a leg heard
// within the timeout (gcsim's own count of early drops, judged with the same 1s).
TEST(ReaperBinaryTest, AudioHookSourceDropsTheSilentLegOnItsAudio) {
  const int api_port = FreePort();
  const int audiohook_port = FreePort();
  ASSERT_TRUE(api_port != 0 && audiohook_port != 0 && api_port != audiohook_port);
  const std::string audiohook_url = "ws://127.0.0.1:" + std::to_string(audiohook_port) + "/";
  testing::Child reaper = testing::Spawn(
      GCSIM_REAPER_BINARY,
      {"--api-url", "http://127.0.0.1:" + std::to_string(api_port), "--client-id", "demo-client",
       "--client-secret", "demo-secret", "--activity", "audiohook", "--audiohook-listen",
       "127.0.0.1:" + std::to_string(audiohook_port), "--idle-timeout", "1s", "--poll-interval",
       "1s"});
  // The reaper's log, read on a thread of its own so that each wait below is bounded.
  std::mutex mu;
  std::condition_variable logged;
  std::string log;
  std::thread reader([&] {
    for (std::string line; !(line = testing::ReadLine(reaper.err)).empty();) {  // empty: EOF
      std::lock_guard lock(mu);
      log += line + "\n";
      logged.notify_all();
    }
  });
  const auto wait_for_log = [&](const std::string& text) {
    std::unique_lock lock(mu);
    return logged.wait_for(lock, std::chrono::seconds(20),
                           [&] { return log.find(text) != std::string::npos; });
  };
  const bool listening = wait_for_log(audiohook_url);
  EXPECT_TRUE(listening) << "it says where it listens";
  testing::Child serve = testing::Spawn(
      GCSIM_BINARY, {"serve", "--port", std::to_string(api_port), "--audiohook-url",
                     audiohook_url, "--idle-timeout", "1s"});
  const bool serving = testing::ReadLine(serve.out).rfind("listening on ", 0) == 0;
  EXPECT_TRUE(serving);
  const bool dropped = listening && serving && wait_for_log("participant=" + kSupervisor);
  kill(reaper.pid, SIGTERM);
  reader.join();
  testing::ReadAll(reaper.out);
  testing::Wait(reaper);
  if (serving) {
    httplib::Client check("127.0.0.1", api_port);
    const auto metrics = check.Get("/sim/v1/metrics");
    EXPECT_TRUE(metrics);
    // Prometheus text: one gcsim_early_drops_total line per client, each 0.
    std::istringstream lines(metrics ? metrics->body : "");
    int early_lines = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("gcsim_early_drops_total", 0) != 0) continue;
      ++early_lines;
      EXPECT_EQ(line.substr(line.rfind(' ') + 1), "0") << line << "\n" << log;
    }
    EXPECT_GT(early_lines, 0) << (metrics ? metrics->body : "");
  }
  kill(serve.pid, SIGTERM);
  EXPECT_EQ(testing::Wait(serve), 0);
  EXPECT_TRUE(dropped) << log;
  EXPECT_NE(log.find(" INFO dropped conversation=" + std::string(core::kDemoConversationId) +
                     " participant=" + kSupervisor),
            std::string::npos)
      << log;
}

// Issue 17, item 7: a daemon stopped by SIGTERM before its drop was verified says so in its
// exit status (3) and its summary, instead of exiting 0.
TEST(ReaperBinaryTest, DaemonStoppedWithADropUnverifiedExitsThree) {
  ManualServe serve = StartManualServe();
  ASSERT_NE(serve.port, 0) << serve.address;
  const std::string& url = serve.url;
  const int port = serve.port;
  ASSERT_TRUE(Advance(port, "11m"));  // past the timeout by more than a Date's second

  testing::Child reaper = testing::Spawn(
      GCSIM_REAPER_BINARY, {"--api-url", url, "--client-id", "demo-client", "--client-secret",
                            "demo-secret", "--activity", "sim", "--poll-interval", "1h"});
  // The server's clock stands still, so the accepted drop cannot land before the stop.
  std::string log;
  for (std::string line; !(line = testing::ReadLine(reaper.err)).empty();) {  // empty: EOF
    log += line + "\n";
    if (line.find("dropped") != std::string::npos) break;
  }
  ASSERT_NE(log.find(kSupervisor), std::string::npos) << log;
  kill(reaper.pid, SIGTERM);
  const std::string summary = testing::ReadAll(reaper.out);
  EXPECT_EQ(testing::Wait(reaper), 3) << summary << log;
  EXPECT_NE(summary.find("dropped 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("unverified 1"), std::string::npos) << summary;
  kill(serve.child.pid, SIGTERM);
  EXPECT_EQ(testing::Wait(serve.child), 0);
}

// Issue 11: a restarted simulator. gcsim serve is killed and started again on its port; the
// daemon logs each tick it cannot make, goes on, and drops the idle leg of the new world.
TEST(ReaperBinaryTest, DaemonGoesOnWhenTheSimulatorIsRestarted) {
  ManualServe first = StartManualServe();
  ASSERT_NE(first.port, 0) << first.address;
  testing::Child reaper = testing::Spawn(
      GCSIM_REAPER_BINARY, {"--api-url", first.url, "--client-id", "demo-client", "--client-secret",
                            "demo-secret", "--activity", "sim", "--poll-interval", "100ms"});
  kill(first.child.pid, SIGKILL);
  testing::Wait(first.child);

  std::string log;
  const auto read_until = [&](const std::string& wanted) {
    for (std::string line; !(line = testing::ReadLine(reaper.err)).empty();) {  // empty: EOF
      log += line + "\n";
      if (line.find(wanted) != std::string::npos) return true;
    }
    return false;
  };
  ASSERT_TRUE(read_until("activity_source_failed")) << log;

  testing::Child second = testing::Spawn(
      GCSIM_BINARY, {"serve", "--port", std::to_string(first.port), "--clock", "manual"});
  const std::string address = testing::ReadLine(second.out);
  ASSERT_NE(address.find(std::to_string(first.port)), std::string::npos) << address;
  ASSERT_TRUE(Advance(first.port, "11m"));  // past the timeout by more than a Date's second
  ASSERT_TRUE(read_until("dropped")) << log;
  EXPECT_NE(log.rfind(kSupervisor), std::string::npos) << log;
  ASSERT_TRUE(Advance(first.port, "1s"));
  ASSERT_TRUE(read_until("verified")) << log;

  kill(reaper.pid, SIGTERM);
  const std::string summary = testing::ReadAll(reaper.out);
  EXPECT_EQ(testing::Wait(reaper), 1) << summary << log;  // requests failed while it was down
  EXPECT_NE(summary.find("dropped 1, verified 1, stuck 0"), std::string::npos) << summary;
  kill(second.pid, SIGTERM);
  EXPECT_EQ(testing::Wait(second), 0);
}


// A tick's reads sent at once (ReaperOptions::concurrency): answers in the order asked, an
// unknown conversation answered as such, and a server that orders numbered requests journals
// them in the order the client numbered them, whichever connection got there first.
TEST(ConversationsReadAtOnceTest, AnswersAndJournalInTheOrderAsked) {
  const std::string kUnknown = "00000000-0000-4000-8000-000000000000";
  ManualClock clock;
  core::WorldSpec world = core::DemoWorld();
  world.generated.push_back({.bridges = 6, .purposes = {core::Purpose::kCustomer, core::Purpose::kAgent}});
  auto sim = core::Simulator::Create({.clock = &clock}, world).value();
  auto server = http::Server::Create({.simulator = sim.get(), .manual_clock = &clock, .threads = 8,
                                      .order_requests = true})
                    .value();
  const int port = *server->Start();
  std::vector<std::string> ids;
  sim->Read([&](const core::WorldView& view) {
    for (const core::Conversation* conv : view.ConversationsByStart()) ids.push_back(conv->id);
  });
  ids.insert(ids.begin() + 3, kUnknown);
  std::reverse(ids.begin(), ids.end());  // not the order the world lists them in
  {
    client::HttpTransport transport;
    client::ApiClient client({.api_url = "http://127.0.0.1:" + std::to_string(port),
                              .client_id = "demo-client", .client_secret = "demo-secret",
                              .number_requests = true},
                             clock, transport);
    const std::vector<Result<client::CallConversation>> answers = client.GetCallConversations(ids, 4);
    ASSERT_EQ(answers.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == kUnknown) {
        EXPECT_EQ(answers[i].status().code(), StatusCode::kNotFound);
      } else {
        ASSERT_TRUE(answers[i].ok()) << answers[i].status().ToString();
        EXPECT_EQ(answers[i]->id, ids[i]);
      }
    }
    EXPECT_EQ(client.counters().requests, ids.size() + 1);  // and the token
  }
  std::vector<std::string> journaled;
  for (const core::JournalEntry& entry : sim->journal().Entries()) {
    if (entry.method == "GET") {
      journaled.push_back(entry.conversation_id.empty() ? entry.path : entry.conversation_id);
    }
  }
  ASSERT_EQ(journaled.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_NE(journaled[i].find(ids[i]), std::string::npos) << i << ": " << journaled[i];
  }
  server->Stop();
}

}  // namespace
}  // namespace gcsim
