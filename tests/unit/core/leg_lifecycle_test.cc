// The leg state machine on its own: a world built by the builder, timers straight on a
// ManualClock, no Simulator and no lock around it.
#include "leg_lifecycle.h"

#include <gtest/gtest.h>

#include "gcsim/core/api_errors.h"
#include "world_builder.h"

namespace gcsim::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

class LegLifecycleTest : public testing::Test {
 protected:
  LegLifecycleTest()
      : lifecycle_(world_, clock_, journal_, [this](TimePoint at, std::function<void(TimerId)> fire) {
          auto id = std::make_shared<TimerId>(0);
          *id = clock_.Schedule(at, [id, fire = std::move(fire)] { fire(*id); });
          return *id;
        }) {
    IdGenerator ids(1);
    EXPECT_TRUE(BuildWorld(DemoWorld(), world_, ids, clock_.Now(), 1).ok());
    lifecycle_.set_disconnect_latency(milliseconds(250));
  }
  Participant& Leg(std::string_view id) { return *world_.FindLeg(id); }
  Conversation& Conv() { return *world_.FindConversation(std::string(kDemoConversationId)); }
  std::string LastEffect() const {
    const auto entries = journal_.Entries();
    return entries.empty() ? "" : entries.back().effect;
  }

  ManualClock clock_;
  WorldState world_;
  Journal journal_;
  LegLifecycle lifecycle_;
};

TEST_F(LegLifecycleTest, DropLandsAfterTheLatencyAndTheBridgeGoesOn) {
  Participant& supervisor = Leg(kDemoSupervisorId);
  lifecycle_.ScheduleDrop(supervisor, clock_.Now());
  EXPECT_NE(supervisor.pending_drop, 0u);
  clock_.Advance(milliseconds(249));
  EXPECT_EQ(supervisor.state, LegState::kConnected);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(supervisor.state, LegState::kDisconnected);
  EXPECT_EQ(supervisor.disconnect_type, DisconnectType::kClient);
  EXPECT_EQ(supervisor.end_time, clock_.Now());
  EXPECT_EQ(supervisor.pending_drop, 0u);
  EXPECT_FALSE(Conv().end_time.has_value());
  EXPECT_EQ(LastEffect(),
            "leg disconnected (disconnectType client): drop landed, 250ms after it was accepted; "
            "the conversation goes on with 2 people; after-call work started (wrapupPrompt OPTIONAL)");
  EXPECT_EQ(supervisor.start_acw_time, clock_.Now());  // a queue's person: ACW starts
  // The interact segment was cut where the leg went.
  ASSERT_FALSE(supervisor.segments.empty());
  EXPECT_EQ(supervisor.segments.back().end, clock_.Now());
}

TEST_F(LegLifecycleTest, ZeroLatencyDropsAtOnce) {
  lifecycle_.set_disconnect_latency(Duration::zero());
  lifecycle_.ScheduleDrop(Leg(kDemoSupervisorId), clock_.Now());
  EXPECT_EQ(Leg(kDemoSupervisorId).state, LegState::kDisconnected);
  EXPECT_FALSE(clock_.NextWakeup().has_value());
}

TEST_F(LegLifecycleTest, FewerThanTwoPeopleEndsTheConversation) {
  lifecycle_.Disconnect(Leg(kDemoSupervisorId), clock_.Now(), DisconnectType::kEndpoint, "hung up");
  lifecycle_.Disconnect(Leg(kDemoAgentId), clock_.Now(), DisconnectType::kClient, "dropped");
  EXPECT_EQ(Conv().end_time, clock_.Now());
  for (const auto id : {kDemoCustomerId, kDemoAgentId, kDemoSupervisorId}) {
    EXPECT_EQ(Leg(id).state, LegState::kTerminated) << id;
  }
  EXPECT_EQ(Leg(kDemoCustomerId).disconnect_type, DisconnectType::kPeer);
  EXPECT_EQ(Leg(kDemoAgentId).disconnect_type, DisconnectType::kClient);
  EXPECT_NE(LastEffect().find("fewer than two people left"), std::string::npos);
}

TEST_F(LegLifecycleTest, HangUpCancelsAPendingDrop) {
  Participant& supervisor = Leg(kDemoSupervisorId);
  lifecycle_.ScheduleDrop(supervisor, clock_.Now());
  lifecycle_.Disconnect(supervisor, clock_.Now(), DisconnectType::kEndpoint, "hung up");
  EXPECT_EQ(supervisor.pending_drop, 0u);
  EXPECT_FALSE(clock_.NextWakeup().has_value());
  EXPECT_EQ(supervisor.disconnect_type, DisconnectType::kEndpoint);
}

TEST_F(LegLifecycleTest, ScheduledEndTerminatesEveryLegOnce) {
  lifecycle_.ScheduleEnd(Conv(), clock_.Now());
  const TimerId first = Conv().pending_end;
  lifecycle_.ScheduleEnd(Conv(), clock_.Now());
  EXPECT_EQ(Conv().pending_end, first);
  clock_.Advance(minutes(1));
  EXPECT_EQ(Conv().end_time, clock_.Now() - minutes(1) + milliseconds(250));
  EXPECT_EQ(Leg(kDemoAgentId).state, LegState::kTerminated);
  EXPECT_EQ(Leg(kDemoAgentId).disconnect_type, DisconnectType::kClient);
  EXPECT_EQ(LastEffect(), "conversation ended by request: every leg terminated");
}

TEST_F(LegLifecycleTest, CancelTimersLeavesTheWorldAsItIs) {
  lifecycle_.ScheduleDrop(Leg(kDemoSupervisorId), clock_.Now());
  lifecycle_.ScheduleEnd(Conv(), clock_.Now());
  lifecycle_.CancelTimers();
  clock_.Advance(minutes(1));
  EXPECT_EQ(Leg(kDemoSupervisorId).state, LegState::kConnected);
  EXPECT_FALSE(Conv().end_time.has_value());
}

TEST_F(LegLifecycleTest, FlagsFollowTheApiRules) {
  Participant& supervisor = Leg(kDemoSupervisorId);
  clock_.Advance(minutes(2));
  ASSERT_TRUE(lifecycle_.SetFlag(supervisor, &Participant::held, true, clock_.Now()).ok());
  EXPECT_TRUE(supervisor.held);
  EXPECT_EQ(supervisor.segments.back().type, SegmentType::kHold);
  EXPECT_EQ(supervisor.segments.back().start, clock_.Now());

  lifecycle_.Disconnect(supervisor, clock_.Now(), DisconnectType::kClient, "dropped");
  EXPECT_TRUE(lifecycle_.SetFlag(supervisor, &Participant::held, true, clock_.Now()).ok());
  EXPECT_EQ(lifecycle_.SetFlag(supervisor, &Participant::muted, true, clock_.Now()).reason(),
            codes::kCallDisconnected);

  Participant alerting;
  alerting.state = LegState::kAlerting;
  EXPECT_EQ(LegLifecycle::CheckFlag(alerting, &Participant::held, true).reason(),
            codes::kHoldAlerting);
  EXPECT_TRUE(LegLifecycle::CheckFlag(alerting, &Participant::muted, true).ok());
}

TEST_F(LegLifecycleTest, SpeechChangeKeepsWhatWasHeard) {
  Participant& agent = Leg(kDemoAgentId);
  clock_.Advance(minutes(3));
  const auto heard = ComputeMedia(agent, clock_.Now()).last_heard_at;
  ASSERT_TRUE(heard.has_value());
  lifecycle_.SetSpeech(agent, SpeechScript::Never(), clock_.Now());
  clock_.Advance(minutes(1));
  EXPECT_EQ(ComputeMedia(agent, clock_.Now()).last_heard_at, heard);
}

TEST_F(LegLifecycleTest, AnswerConnectsAnAlertingLeg) {
  IdGenerator ids(2);
  auto id = AddLegTo(world_, ids, Conv(), {.state = LegState::kAlerting}, clock_.Now());
  ASSERT_TRUE(id.ok());
  clock_.Advance(minutes(1));
  Participant& leg = Leg(*id);
  lifecycle_.Answer(leg, clock_.Now());
  EXPECT_EQ(leg.state, LegState::kConnected);
  EXPECT_EQ(leg.connected_time, clock_.Now());
  ASSERT_EQ(leg.segments.size(), 2u);
  EXPECT_EQ(leg.segments[0].type, SegmentType::kAlert);
  EXPECT_EQ(leg.segments[0].end, clock_.Now());
  EXPECT_EQ(leg.segments[1].type, SegmentType::kInteract);
}

}  // namespace
}  // namespace gcsim::core
