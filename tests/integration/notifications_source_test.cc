// The reaper's notifications source against a real gcsim (in-process, one ManualClock): silence
// from transcription events on a real channel socket, never claimed for a leg heard within the
// timeout, nor before the watch caught up again after the socket dropped.
#include <gtest/gtest.h>

#include "gcsim/client/notifications_source.h"
#include "gcsim_and_client.h"

namespace gcsim {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kConversation(core::kDemoConversationId);
const std::string kCustomer(core::kDemoCustomerId);
const std::string kSupervisor(core::kDemoSupervisorId);
constexpr Duration kIdle = minutes(10);

class NotificationsSourceTest : public ::testing::Test {
 protected:
  void TearDown() override { source_.reset(); }

  std::vector<std::string> CandidateIds() {
    auto candidates = source_->Candidates(clock_.Now(), kIdle);
    EXPECT_TRUE(candidates.ok()) << candidates.status().ToString();
    std::vector<std::string> ids;
    if (candidates.ok()) {
      for (const client::Candidate& candidate : *candidates) ids.push_back(candidate.participant_id);
    }
    return ids;
  }

  ManualClock clock_;
  testing::GcsimAndClient gcsim_{clock_};
  std::unique_ptr<client::NotificationsActivitySource> source_ =
      std::make_unique<client::NotificationsActivitySource>(*gcsim_.client, clock_);
};

TEST_F(NotificationsSourceTest, TheSilentSupervisorIsACandidateAndTheTalkersAreNot) {
  // The watch starts a second after the subscriptions' answer was dated (a Date has whole
  // seconds): the subscriptions were made in that second, at the latest.
  const TimePoint watched = clock_.Now() + seconds(1);
  EXPECT_TRUE(CandidateIds().empty());
  clock_.Advance(minutes(10));
  EXPECT_TRUE(CandidateIds().empty());  // 10m: not yet
  clock_.Advance(seconds(1));
  const auto candidates = source_->Candidates(clock_.Now(), kIdle);
  ASSERT_TRUE(candidates.ok()) << candidates.status().ToString();
  ASSERT_EQ(candidates->size(), 1u);
  EXPECT_EQ((*candidates)[0].participant_id, kSupervisor);
  EXPECT_EQ((*candidates)[0].silent_since, watched);
  EXPECT_EQ(std::string(source_->name()), "notifications");

  const auto supervisor = source_->SilentSince(kConversation, kSupervisor, clock_.Now());
  ASSERT_TRUE(supervisor.ok());
  EXPECT_EQ(*supervisor, watched);
  // The customer talks 0s-20s of every 45s: at 10m1s (601s = 13 * 45 + 16) it is talking.
  const auto customer = source_->SilentSince(kConversation, kCustomer, clock_.Now());
  ASSERT_TRUE(customer.ok());
  EXPECT_FALSE(customer->has_value());
}

TEST_F(NotificationsSourceTest, ALegHeardWithinTheTimeoutIsNotClaimed) {
  const TimePoint start = clock_.Now();
  EXPECT_TRUE(CandidateIds().empty());
  clock_.Advance(minutes(9) + seconds(59));
  ASSERT_TRUE(gcsim_.sim->SetSpeech(kSupervisor, core::SpeechScript::Always()).ok());
  clock_.Advance(seconds(1));  // no look between: the burst is told once it ends
  ASSERT_TRUE(gcsim_.sim->SetSpeech(kSupervisor, core::SpeechScript::Never()).ok());
  clock_.Advance(seconds(5));
  EXPECT_TRUE(CandidateIds().empty());
  const auto since = source_->SilentSince(kConversation, kSupervisor, clock_.Now());
  ASSERT_TRUE(since.ok());
  ASSERT_TRUE(since->has_value());
  EXPECT_EQ(**since, start + minutes(10));  // heard until the burst ended
}

TEST_F(NotificationsSourceTest, AfterTheSocketDroppedNothingIsClaimedUntilWatchedAgain) {
  EXPECT_TRUE(CandidateIds().empty());
  clock_.Advance(minutes(10) + seconds(1));  // the watch began a second after the start
  EXPECT_EQ(CandidateIds(), std::vector<std::string>{kSupervisor});

  // The channel expires: the socket is told and closed. The next look cannot trust anything.
  clock_.Advance(hours(24));
  auto after_gap = source_->Candidates(clock_.Now(), kIdle);
  for (int tries = 0; tries < 3 && after_gap.ok() && !after_gap->empty(); ++tries) {
    after_gap = source_->Candidates(clock_.Now(), kIdle);
  }
  // Either the gap was noticed (an error: no claim) or the watch began again (no candidate).
  EXPECT_TRUE(!after_gap.ok() || after_gap->empty());
  const TimePoint rewatched = clock_.Now() + seconds(1);
  EXPECT_TRUE(CandidateIds().empty());  // a new channel, watched from a second after now
  clock_.Advance(minutes(10) + seconds(1));
  const auto candidates = source_->Candidates(clock_.Now(), kIdle);
  ASSERT_TRUE(candidates.ok()) << candidates.status().ToString();
  ASSERT_EQ(candidates->size(), 1u);
  EXPECT_EQ((*candidates)[0].silent_since, rewatched);
}

}  // namespace
}  // namespace gcsim
