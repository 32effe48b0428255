// The reaper's audiohook source against a real gcsim (in-process, one ManualClock): silence
// from voice activity in the audio gcsim streams to the source's AudioHook server, never claimed
// for a leg heard within the timeout, nor for a leg whose stream is gone or was refused.
#include <gtest/gtest.h>

// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "gcsim/client/audiohook_source.h"
#include "gcsim_and_client.h"

namespace gcsim {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kConversation(core::kDemoConversationId);
const std::string kCustomer(core::kDemoCustomerId);
const std::string kSupervisor(core::kDemoSupervisorId);
constexpr Duration kIdle = minutes(10);
constexpr milliseconds kSyncLimit(20'000);

class AudioHookSourceTest : public ::testing::Test {
 protected:
  void TearDown() override { source_.reset(); }

  // The source listens (wanting `source_key`); gcsim streams to it with `sent_key`.
  void Listen(const std::string& source_key = "", const std::string& sent_key = "") {
    source_ = std::make_unique<client::AudioHookActivitySource>(
        clock_, client::AudioHookActivitySourceOptions{.api_key = source_key});
    ASSERT_TRUE(source_->Start().ok());
    ASSERT_TRUE(gcsim_.server
                    ->StreamAudioHook({.url = "ws://127.0.0.1:" + std::to_string(source_->port()) +
                                              "/audiohook",
                                       .api_key = sent_key,
                                       .open_on_timer = false})
                    .ok());
    ASSERT_TRUE(gcsim_.server->SyncAudioHook(kSyncLimit));
  }

  void AdvanceAndSync(Duration by) {
    clock_.Advance(by);
    ASSERT_TRUE(gcsim_.server->SyncAudioHook(kSyncLimit));
  }

  std::vector<client::Candidate> Candidates() {
    auto candidates = source_->Candidates(clock_.Now(), kIdle);
    EXPECT_TRUE(candidates.ok()) << candidates.status().ToString();
    return candidates.ok() ? *candidates : std::vector<client::Candidate>{};
  }

  ManualClock clock_;
  testing::GcsimAndClient gcsim_{clock_};
  std::unique_ptr<client::AudioHookActivitySource> source_;
};

TEST_F(AudioHookSourceTest, TheSilentSupervisorIsACandidateAndTheTalkersAreNot) {
  const TimePoint start = clock_.Now();
  Listen();
  EXPECT_TRUE(Candidates().empty());
  AdvanceAndSync(minutes(9) + seconds(59));
  EXPECT_TRUE(Candidates().empty());  // 9m59s: not yet
  AdvanceAndSync(seconds(1));
  const std::vector<client::Candidate> candidates = Candidates();
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(candidates[0].participant_id, kSupervisor);
  EXPECT_EQ(candidates[0].conversation_id, kConversation);
  EXPECT_EQ(candidates[0].purpose, "") << "the reaper reads it when it confirms the leg";
  EXPECT_EQ(candidates[0].silent_since, start) << "silent since its audio began";
  EXPECT_EQ(std::string(source_->name()), "audiohook");

  // The customer talks 0s-20s of every 45s: at 10m (600s = 13 * 45 + 15) it is talking.
  const auto customer = source_->SilentSince(kConversation, kCustomer, clock_.Now());
  ASSERT_TRUE(customer.ok());
  EXPECT_FALSE(customer->has_value());
}

TEST_F(AudioHookSourceTest, ALegHeardWithinTheTimeoutIsNotClaimed) {
  const TimePoint start = clock_.Now();
  Listen();
  AdvanceAndSync(minutes(9) + seconds(59));
  ASSERT_TRUE(gcsim_.sim->SetSpeech(kSupervisor, core::SpeechScript::Always()).ok());
  AdvanceAndSync(seconds(1));
  ASSERT_TRUE(gcsim_.sim->SetSpeech(kSupervisor, core::SpeechScript::Never()).ok());
  AdvanceAndSync(seconds(5));
  EXPECT_TRUE(Candidates().empty());
  const auto since = source_->SilentSince(kConversation, kSupervisor, clock_.Now());
  ASSERT_TRUE(since.ok());
  ASSERT_TRUE(since->has_value());
  // Heard until 10m (its sample at 10m included): silent from the end of that 20 ms block plus
  // the 300 ms hangover.
  EXPECT_GE(**since, start + minutes(10) + milliseconds(300));
  EXPECT_LE(**since, start + minutes(10) + milliseconds(320));
}

TEST_F(AudioHookSourceTest, TalkThatStopsBetweenSyncsIsHeardUntilItStopped) {
  const TimePoint start = clock_.Now();
  Listen();
  AdvanceAndSync(minutes(9) + seconds(50));
  ASSERT_TRUE(gcsim_.sim->SetSpeech(kSupervisor, core::SpeechScript::Always()).ok());
  AdvanceAndSync(seconds(10));
  // The talk stops at 10m05s, and the audio of 10m-10m05s is sent only after that.
  clock_.Advance(seconds(5));
  ASSERT_TRUE(gcsim_.sim->SetSpeech(kSupervisor, core::SpeechScript::Never()).ok());
  AdvanceAndSync(seconds(10));
  const auto since = source_->SilentSince(kConversation, kSupervisor, clock_.Now());
  ASSERT_TRUE(since.ok());
  ASSERT_TRUE(since->has_value());
  EXPECT_GE(**since, start + minutes(10) + seconds(5) + milliseconds(300));
}

TEST_F(AudioHookSourceTest, ALegWithoutAStreamIsNeverClaimed) {
  // The source wants a key gcsim does not send: every upgrade is refused, no session opens.
  Listen("right-key", "wrong-key");
  AdvanceAndSync(minutes(11));
  EXPECT_TRUE(Candidates().empty());
  const auto since = source_->SilentSince(kConversation, kSupervisor, clock_.Now());
  ASSERT_TRUE(since.ok());
  EXPECT_FALSE(since->has_value());
}

TEST_F(AudioHookSourceTest, AMalformedSessionIsDisconnectedAndTheServerGoesOn) {
  Listen();
  namespace beast = boost::beast;
  boost::asio::io_context io;
  beast::websocket::stream<boost::asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"),
                           static_cast<unsigned short>(source_->port())});
  ws.handshake("127.0.0.1", "/audiohook");
  ws.binary(true);
  ws.write(boost::asio::buffer(std::string(1600, '\xff')));  // audio before any open: ignored
  ws.text(true);
  ws.write(boost::asio::buffer(std::string(
      R"({"version":"2","type":"open","id":"x","seq":1,"position":"PT0S","parameters":5})")));
  beast::flat_buffer answer;
  ws.read(answer);
  const auto reply = nlohmann::json::parse(beast::buffers_to_string(answer.data()));
  EXPECT_EQ(reply["type"], "disconnect");
  EXPECT_EQ(reply["parameters"]["reason"], "error");

  AdvanceAndSync(minutes(10));
  const std::vector<client::Candidate> candidates = Candidates();
  ASSERT_EQ(candidates.size(), 1u) << "gcsim's own sessions go on";
  EXPECT_EQ(candidates[0].participant_id, kSupervisor);
}

TEST_F(AudioHookSourceTest, AStreamThatStopsIsNoLongerTrusted) {
  Listen();
  AdvanceAndSync(minutes(10));
  ASSERT_EQ(Candidates().size(), 1u);
  // gcsim goes away: the streams end with it, and nothing is claimed past the audio received.
  gcsim_.server->Stop();
  clock_.Advance(minutes(1));
  auto candidates = source_->Candidates(clock_.Now(), kIdle);
  EXPECT_TRUE(!candidates.ok() || candidates->empty());
}

}  // namespace
}  // namespace gcsim
