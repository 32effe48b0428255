// The world as it was: what staleReads, staleAnalytics and analyticsLag show, rebuilt from what
// each leg records, checked against the world it trails.
#include "gcsim/core/past_view.h"

#include <gtest/gtest.h>

#include "gcsim/core/queries.h"
#include "gcsim/core/world.h"

namespace gcsim::core {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class PastViewTest : public testing::Test {
 protected:
  PastViewTest() {
    WorldSpec world = DemoWorld();
    world.disconnect_latency = Duration::zero();
    auto created = Simulator::Create({.clock = &clock_}, world);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    sim_ = std::move(*created);
  }
  // Runs `check` on the world as it was `ago` before now.
  void Past(Duration ago, const std::function<void(const WorldView&)>& check) {
    sim_->Read([&](const WorldView& live) { check(PastView(live, live.now() - ago)); });
  }

  ManualClock clock_;
  std::unique_ptr<Simulator> sim_;
  const std::string supervisor_{kDemoSupervisorId};
  const std::string agent_{kDemoAgentId};
};

// A leg that rang and hung up unanswered was ringing, never connected, before it ended.
TEST_F(PastViewTest, ALegThatNeverAnsweredWasRinging) {
  auto ringing = sim_->AddLeg(std::string(kDemoConversationId),
                              {.purpose = Purpose::kAgent, .state = LegState::kAlerting});
  ASSERT_TRUE(ringing.ok()) << ringing.status().ToString();
  clock_.Advance(minutes(1));
  ASSERT_TRUE(sim_->HangUp(*ringing).ok());
  clock_.Advance(seconds(30));
  Past(minutes(1), [&](const WorldView& world) {
    const Participant* leg = world.FindParticipant(*ringing);
    ASSERT_NE(leg, nullptr);
    EXPECT_EQ(leg->state, LegState::kAlerting);
    EXPECT_FALSE(leg->connected_time);
  });
}

TEST_F(PastViewTest, MuteHoldAndEndsReadAsTheyWereThen) {
  clock_.Advance(minutes(1));
  ASSERT_TRUE(sim_->SetMuted(supervisor_, true).ok());
  clock_.Advance(minutes(1));
  ASSERT_TRUE(sim_->SetHeld(agent_, true).ok());
  clock_.Advance(minutes(1));
  ASSERT_TRUE(sim_->HangUp(supervisor_).ok());
  clock_.Advance(seconds(30));  // now: 3m30s

  Past(seconds(10), [&](const WorldView& world) {  // 3m20s: the hang-up, mute and hold all done
    EXPECT_EQ(world.FindParticipant(supervisor_)->state, LegState::kDisconnected);
    EXPECT_TRUE(world.FindParticipant(agent_)->held);
  });
  Past(minutes(1), [&](const WorldView& world) {  // 2m30s: muted, held, not yet gone
    const Participant* supervisor = world.FindParticipant(supervisor_);
    EXPECT_EQ(supervisor->state, LegState::kConnected);
    EXPECT_FALSE(supervisor->end_time);
    EXPECT_EQ(supervisor->disconnect_type, DisconnectType::kNone);
    EXPECT_TRUE(supervisor->muted);
    EXPECT_TRUE(world.FindParticipant(agent_)->held);
    EXPECT_FALSE(world.FindConversation(std::string(kDemoConversationId))->end_time);
  });
  Past(minutes(2), [&](const WorldView& world) {  // 1m30s: muted, not held
    EXPECT_TRUE(world.FindParticipant(supervisor_)->muted);
    EXPECT_FALSE(world.FindParticipant(agent_)->held);
    const Participant* agent = world.FindParticipant(agent_);
    ASSERT_FALSE(agent->segments.empty());
    EXPECT_FALSE(agent->segments.back().end);  // the segment that ended at 2m is open then
  });
  Past(minutes(3), [&](const WorldView& world) {  // 30s: neither
    EXPECT_FALSE(world.FindParticipant(supervisor_)->muted);
    EXPECT_EQ(world.now(), kSimulationStart + seconds(30));
  });
}

TEST_F(PastViewTest, ConversationsThatStartedLaterAreAbsent) {
  clock_.Advance(minutes(5));
  ConversationSpec later;
  later.legs.push_back({.purpose = Purpose::kCustomer});
  later.legs.push_back({.purpose = Purpose::kAgent});
  auto id = sim_->AddConversation(later);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  clock_.Advance(minutes(1));

  Past(seconds(30), [&](const WorldView& world) {
    EXPECT_NE(world.FindConversation(*id), nullptr);
    EXPECT_EQ(world.ConversationsByStart().size(), 2u);
  });
  Past(minutes(2), [&](const WorldView& world) {
    EXPECT_EQ(world.FindConversation(*id), nullptr);
    EXPECT_EQ(world.ConversationsByStart().size(), 1u);
    EXPECT_EQ(world.ConversationsByStart()[0]->id, kDemoConversationId);
  });
}

TEST_F(PastViewTest, QueueObservationsCountTheLegsOfThen) {
  size_t interacting_before = 0;
  sim_->Read([&](const WorldView& world) {
    interacting_before = ObserveQueue(world, std::string(kDemoQueueId)).interacting.size();
  });
  ASSERT_GT(interacting_before, 0u);
  clock_.Advance(minutes(1));
  ASSERT_TRUE(sim_->HangUp(agent_).ok());
  clock_.Advance(minutes(1));
  Past(minutes(1) + seconds(1), [&](const WorldView& world) {
    EXPECT_EQ(ObserveQueue(world, std::string(kDemoQueueId)).interacting.size(), interacting_before);
  });
  Past(seconds(59), [&](const WorldView& world) {
    EXPECT_LT(ObserveQueue(world, std::string(kDemoQueueId)).interacting.size(), interacting_before);
  });
}

// A conversation where nothing happened within the lag is read as it is (not copied); one
// change inside the lag and it is rebuilt as it was.
TEST_F(PastViewTest, AConversationUnchangedSinceThenIsReadUncopied) {
  const std::string conversation(kDemoConversationId);
  clock_.Advance(minutes(5));
  sim_->Read([&](const WorldView& live) {
    const PastView past(live, live.now() - minutes(1));
    EXPECT_EQ(past.FindConversation(conversation), live.FindConversation(conversation));
  });
  ASSERT_TRUE(sim_->SetMuted(supervisor_, true).ok());
  clock_.Advance(seconds(30));
  sim_->Read([&](const WorldView& live) {
    const PastView past(live, live.now() - minutes(1));
    const Conversation* then = past.FindConversation(conversation);
    ASSERT_NE(then, nullptr);
    EXPECT_NE(then, live.FindConversation(conversation));
    EXPECT_FALSE(past.FindParticipant(supervisor_)->muted);
    EXPECT_TRUE(live.FindParticipant(supervisor_)->muted);
  });
}

}  // namespace
}  // namespace gcsim::core
