// The reaper against a real gcsim over loopback: in-process on one ManualClock, and the two
// binaries run as a user would.
#include <signal.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <sstream>

#include "child_process.h"
#include "gcsim/client/activity_source.h"
#include "gcsim/client/api_client.h"
#include "gcsim/client/reaper.h"
#include "gcsim/client/transport.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"

namespace gcsim {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const std::string kConversation(core::kDemoConversationId);
const std::string kSupervisor(core::kDemoSupervisorId);

class ReaperAgainstGcsimTest : public ::testing::Test {
 protected:
  void Start(const std::string& activity) {
    sim_ = core::Simulator::Create({.clock = &clock_}, core::DemoWorld()).value();
    server_ = http::Server::Create({.simulator = sim_.get(), .manual_clock = &clock_, .threads = 4}).value();
    const int port = *server_->Start();
    client_ = std::make_unique<client::ApiClient>(
        client::ApiClientOptions{.api_url = "http://127.0.0.1:" + std::to_string(port),
                                 .client_id = "demo-client", .client_secret = "demo-secret"},
        clock_, *transport_);
    if (activity == "signals") {
      source_ = std::make_unique<client::SignalsActivitySource>(*client_);
    } else {
      source_ = std::make_unique<client::SimActivitySource>(*client_);
    }
    reaper_ = std::make_unique<client::Reaper>(client::ReaperOptions{}, *client_, *source_, clock_,
                                               logger_);
  }
  void TearDown() override {
    reaper_.reset();
    source_.reset();
    client_.reset();
    transport_.reset();  // close keep-alive connections before the server stops
    if (server_) server_->Stop();
  }

  core::LegState StateOf(const std::string& id) {
    core::LegState state{};
    sim_->Read([&](const core::WorldView& world) { state = world.FindParticipant(id)->state; });
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
    ASSERT_TRUE(sim_->SetMuted(std::string(core::kDemoAgentId), true).ok());
    std::vector<client::LegId> dropped, verified;
    TickUntil(clock_.Now() + minutes(11), dropped, verified);
    ASSERT_EQ(dropped.size(), 1u);
    EXPECT_EQ(dropped[0].participant_id, std::string(core::kDemoAgentId));
    EXPECT_EQ(StateOf(kSupervisor), core::LegState::kConnected);
  }

  ManualClock clock_{{.advance_on_wait = true}};
  std::ostringstream log_;
  client::Logger logger_{log_, clock_};
  std::unique_ptr<client::HttpTransport> transport_ = std::make_unique<client::HttpTransport>();
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<client::ApiClient> client_;
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

// `gcsim serve` on a manual clock on port 0, and where it listens (port 0: it did not say).
struct ManualServe {
  testing::Child child;
  std::string address;  // its first line: "listening on http://127.0.0.1:PORT"
  std::string url;
  int port = 0;
};

ManualServe StartManualServe() {
  ManualServe serve{testing::Spawn(GCSIM_BINARY, {"serve", "--port", "0", "--clock", "manual"})};
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
  ASSERT_TRUE(Advance(port, "10m"));

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

// Issue 17, item 7: a daemon stopped by SIGTERM before its drop was verified says so in its
// exit status (3) and its summary, instead of exiting 0.
TEST(ReaperBinaryTest, DaemonStoppedWithADropUnverifiedExitsThree) {
  ManualServe serve = StartManualServe();
  ASSERT_NE(serve.port, 0) << serve.address;
  const std::string& url = serve.url;
  const int port = serve.port;
  ASSERT_TRUE(Advance(port, "10m"));

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
  ASSERT_TRUE(Advance(first.port, "10m"));
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

}  // namespace
}  // namespace gcsim
