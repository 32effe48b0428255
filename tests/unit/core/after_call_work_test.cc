// After-call work and wrap-up: a queue agent's leg enters ACW when it stops being live, the
// queue's prompt decides what may be skipped, and a timed ACW applies ININ-WRAP-UP-TIMEOUT on
// the clock.
#include <gtest/gtest.h>

#include "gcsim/core/api_errors.h"
#include "gcsim/core/past_view.h"
#include "gcsim/core/simulator.h"

namespace gcsim::core {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const std::string kConv(kDemoConversationId);
const std::string kCustomer(kDemoCustomerId);
const std::string kAgent(kDemoAgentId);
const std::string kSupervisor(kDemoSupervisorId);
const std::string kNoAnswer = "3e0c9b8a-0000-4000-8000-0000000000c1";
const std::string kResolved = "3e0c9b8a-0000-4000-8000-0000000000c2";
const std::string kOtherQueueCode = "3e0c9b8a-0000-4000-8000-0000000000c3";
const MediaParticipantRequest kDrop{.state = std::string("disconnected")};

WorldSpec WorldWith(AcwSettings acw) {
  WorldSpec world = DemoWorld();
  world.wrapup_codes = {{kNoAnswer, "no-answer"}, {kResolved, "resolved"},
                        {kOtherQueueCode, "elsewhere"}};
  world.queues[0].acw = acw;
  world.queues[0].wrapup_code_ids = {kNoAnswer, kResolved};
  return world;
}

class AfterCallWorkTest : public testing::Test {
 protected:
  void Start(AcwSettings acw) {
    auto created = Simulator::Create({.clock = &clock_}, WorldWith(acw));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    sim_ = std::move(created).value();
  }
  Participant Leg(const std::string& id) {
    Participant copy;
    sim_->Read([&](const WorldView& view) { copy = *view.FindParticipant(id); });
    return copy;
  }
  UpdateOutcome Patch(const std::string& pid, const MediaParticipantRequest& body) {
    return sim_->UpdateParticipant(kConv, pid, body, {"demo-client", ""},
                                   ParticipantRoute::kGeneric);
  }
  UpdateOutcome Wrap(const std::string& pid, Wrapup wrapup) {
    return sim_->ApplyWrapup(kConv, pid, pid, {.wrapup = std::move(wrapup)},
                             {"demo-client", ""});
  }
  // Drops the leg and lets the drop land.
  void DropAndLand(const std::string& pid) {
    ASSERT_TRUE(Patch(pid, kDrop).status.ok());
    clock_.Advance(seconds(1));
    ASSERT_EQ(Leg(pid).state, LegState::kDisconnected);
  }

  ManualClock clock_;
  std::unique_ptr<Simulator> sim_;
};

TEST_F(AfterCallWorkTest, QueueLegsCarryTheQueueSettingsOthersNone) {
  Start({.prompt = WrapupPrompt::kMandatoryTimeout, .timeout = seconds(30)});
  ASSERT_TRUE(Leg(kAgent).acw.has_value());
  EXPECT_EQ(Leg(kAgent).acw->prompt, WrapupPrompt::kMandatoryTimeout);
  EXPECT_EQ(Leg(kAgent).acw->timeout, seconds(30));
  EXPECT_FALSE(Leg(kCustomer).acw.has_value());  // no user, no queue: no wrap-up to do
  EXPECT_FALSE(Leg(kAgent).start_acw_time.has_value());
}

TEST_F(AfterCallWorkTest, DisconnectStartsAcwAndTheTimeoutAppliesTheDefaultCode) {
  Start({.prompt = WrapupPrompt::kMandatoryTimeout, .timeout = seconds(30)});
  clock_.Advance(minutes(10));
  const TimePoint dropped_at = clock_.Now() + std::chrono::milliseconds(250);
  DropAndLand(kSupervisor);
  Participant leg = Leg(kSupervisor);
  ASSERT_TRUE(leg.start_acw_time.has_value());
  EXPECT_EQ(*leg.start_acw_time, dropped_at);
  EXPECT_FALSE(leg.end_acw_time.has_value());
  EXPECT_FALSE(leg.wrapup.has_value());

  clock_.Advance(seconds(28));  // 29s into ACW: not yet
  EXPECT_FALSE(Leg(kSupervisor).end_acw_time.has_value());
  clock_.Advance(seconds(2));
  leg = Leg(kSupervisor);
  ASSERT_TRUE(leg.end_acw_time.has_value());
  EXPECT_EQ(*leg.end_acw_time, dropped_at + seconds(30));
  ASSERT_TRUE(leg.wrapup.has_value());
  EXPECT_EQ(leg.wrapup->code, kWrapupTimeoutCode);
  EXPECT_EQ(leg.wrapup->duration_seconds, 30);
}

TEST_F(AfterCallWorkTest, WrapupDuringAcwEndsItAndCancelsTheTimeout) {
  Start({.prompt = WrapupPrompt::kMandatoryTimeout, .timeout = seconds(30)});
  DropAndLand(kSupervisor);
  clock_.Advance(seconds(5));
  const UpdateOutcome out = Wrap(kSupervisor, {.code = kNoAnswer});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.http_status, 202);
  clock_.Advance(minutes(5));
  const Participant leg = Leg(kSupervisor);
  ASSERT_TRUE(leg.wrapup.has_value());
  EXPECT_EQ(leg.wrapup->code, kNoAnswer);
  EXPECT_EQ(leg.wrapup->name, "no-answer");  // filled in from the org's codes
  ASSERT_TRUE(leg.end_acw_time.has_value());
  // Dropped at 250ms, the wrap-up at 6s.
  EXPECT_EQ(*leg.end_acw_time - *leg.start_acw_time, std::chrono::milliseconds(5750));
}

TEST_F(AfterCallWorkTest, ForcedTimeoutKeepsTheAgentInAcwUntilItRunsOut) {
  Start({.prompt = WrapupPrompt::kMandatoryForcedTimeout, .timeout = seconds(30)});
  DropAndLand(kSupervisor);
  ASSERT_TRUE(Wrap(kSupervisor, {.code = kResolved}).status.ok());
  EXPECT_FALSE(Leg(kSupervisor).end_acw_time.has_value());
  clock_.Advance(seconds(30));
  const Participant leg = Leg(kSupervisor);
  ASSERT_TRUE(leg.end_acw_time.has_value());
  EXPECT_EQ(leg.wrapup->code, kResolved);  // the agent's code, not the default
}

TEST_F(AfterCallWorkTest, WrapupErrors) {
  Start({.prompt = WrapupPrompt::kMandatory});
  DropAndLand(kSupervisor);
  UpdateOutcome out = Wrap(kSupervisor, {.notes = "no code"});
  EXPECT_EQ(out.status.reason(), codes::kWrapupCodeRequired);
  EXPECT_EQ(out.http_status, 400);

  out = Wrap(kSupervisor, {.code = "no-answer"});  // a name, not an id
  EXPECT_EQ(out.status.reason(), codes::kInvalidValue);
  EXPECT_NE(out.status.message().find("[no-answer]"), std::string::npos) << out.status.message();
  EXPECT_NE(out.status.message().find(kNoAnswer), std::string::npos) << out.status.message();

  out = Wrap(kSupervisor, {.code = kOtherQueueCode});  // the org's, not the queue's
  EXPECT_EQ(out.status.reason(), codes::kInvalidValue);

  MediaParticipantRequest skip;
  skip.wrapup_skipped = true;
  out = Patch(kSupervisor, skip);
  EXPECT_EQ(out.status.reason(), codes::kWrapupCannotSkip);
  EXPECT_FALSE(Leg(kSupervisor).wrapup_skipped);
  EXPECT_FALSE(Leg(kSupervisor).end_acw_time.has_value());
  EXPECT_FALSE(Leg(kSupervisor).wrapup.has_value());

  // A provisional wrap-up needs no code and does not end ACW.
  out = Wrap(kSupervisor, {.notes = "later", .provisional = true});
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_FALSE(Leg(kSupervisor).end_acw_time.has_value());
}

TEST_F(AfterCallWorkTest, OptionalAcwMayBeSkipped) {
  Start({.prompt = WrapupPrompt::kOptional});
  DropAndLand(kSupervisor);
  MediaParticipantRequest skip;
  skip.wrapup_skipped = true;
  const UpdateOutcome out = Patch(kSupervisor, skip);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_NE(out.effect_text.find("after-call work ended"), std::string::npos) << out.effect_text;
  EXPECT_TRUE(Leg(kSupervisor).wrapup_skipped);
  EXPECT_TRUE(Leg(kSupervisor).end_acw_time.has_value());
}

TEST_F(AfterCallWorkTest, WrapupInThePatchDuringTheCallEndsAcwWhenTheLegGoes) {
  Start({.prompt = WrapupPrompt::kMandatoryTimeout, .timeout = seconds(30)});
  MediaParticipantRequest body{.state = std::string("disconnected")};
  body.wrapup = Wrapup{.code = kNoAnswer};
  ASSERT_TRUE(Patch(kSupervisor, body).status.ok());
  EXPECT_EQ(Leg(kSupervisor).wrapup->code, kNoAnswer);
  clock_.Advance(seconds(1));
  const Participant leg = Leg(kSupervisor);
  EXPECT_EQ(leg.state, LegState::kDisconnected);
  ASSERT_TRUE(leg.end_acw_time.has_value());
  EXPECT_EQ(*leg.end_acw_time, *leg.start_acw_time);
  clock_.Advance(minutes(1));
  EXPECT_EQ(Leg(kSupervisor).wrapup->code, kNoAnswer);  // the timeout never overrode it
}

TEST_F(AfterCallWorkTest, ConversationEndPutsEveryQueueLegInAcw) {
  Start({.prompt = WrapupPrompt::kMandatory});
  ASSERT_TRUE(sim_->UpdateConversation(kConv, {.state = std::string("disconnected"),
                                               .state_is_string = true})
                  .status.ok());
  clock_.Advance(seconds(1));
  EXPECT_TRUE(Leg(kAgent).start_acw_time.has_value());
  EXPECT_TRUE(Leg(kSupervisor).start_acw_time.has_value());
  EXPECT_FALSE(Leg(kCustomer).start_acw_time.has_value());
}

TEST_F(AfterCallWorkTest, CommunicationPatchDropsOnlyWithState) {
  Start({.prompt = WrapupPrompt::kOptional});
  MediaParticipantRequest no_state;
  no_state.wrapup = Wrapup{.code = kNoAnswer};
  UpdateOutcome out = sim_->UpdateCommunication(kConv, kSupervisor, kSupervisor, no_state,
                                                {"demo-client", ""});
  EXPECT_EQ(out.status.reason(), codes::kCommunicationStateRequired);

  out = sim_->UpdateCommunication(kConv, kSupervisor, kAgent, kDrop, {"demo-client", ""});
  EXPECT_EQ(out.status.reason(), codes::kNotFound);  // not this participant's call

  MediaParticipantRequest drop = kDrop;
  drop.wrapup = Wrapup{.code = kNoAnswer};
  out = sim_->UpdateCommunication(kConv, kSupervisor, kSupervisor, drop, {"demo-client", ""});
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.http_status, 200);
  EXPECT_EQ(out.ignored_fields, std::vector<std::string>{"wrapup"});  // not for this endpoint
  clock_.Advance(seconds(1));
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kDisconnected);
  EXPECT_FALSE(Leg(kSupervisor).wrapup.has_value());
}

TEST_F(AfterCallWorkTest, TheHintForADispositionCodeNamesTheWrapupCall) {
  Start({.prompt = WrapupPrompt::kOptional});
  const UpdateOutcome out =
      Patch(kSupervisor, {.unknown_fields = {"dispositionCode", "dropReason"}});
  EXPECT_NE(out.hint.find("state"), std::string::npos) << out.hint;
  EXPECT_NE(out.hint.find("/communications/" + kSupervisor + "/wrapup"), std::string::npos)
      << out.hint;
  const UpdateOutcome other = Patch(kSupervisor, {.unknown_fields = {"dropReason"}});
  EXPECT_EQ(other.hint.find("/wrapup"), std::string::npos) << other.hint;
}

TEST_F(AfterCallWorkTest, AStaleViewShowsAcwAsItStoodThen) {
  Start({.prompt = WrapupPrompt::kMandatory});
  DropAndLand(kSupervisor);  // ACW from 250ms
  clock_.Advance(seconds(10));
  ASSERT_TRUE(Wrap(kSupervisor, {.code = kNoAnswer}).status.ok());  // ends at 11s
  sim_->Read([&](const WorldView& live) {
    const PastView during(live, live.now() - seconds(5));
    const Participant* leg = during.FindParticipant(kSupervisor);
    ASSERT_NE(leg, nullptr);
    EXPECT_TRUE(leg->start_acw_time.has_value());
    EXPECT_FALSE(leg->end_acw_time.has_value());
    EXPECT_FALSE(leg->wrapup.has_value());
    const PastView before(live, live.now() - seconds(11));
    EXPECT_FALSE(before.FindParticipant(kSupervisor)->start_acw_time.has_value());
  });
}

TEST(AcwWorldTest, QueuesReadAcwSettingsAndWrapupCodes) {
  const auto world = ParseWorld(nlohmann::json::parse(R"({
    "wrapupCodes": [{"id": "3e0c9b8a-0000-4000-8000-0000000000c1", "name": "no-answer"}],
    "queues": [{"id": "7c1d2e3f-0000-4000-8000-0000000000a1",
                "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 30000},
                "wrapupCodes": ["3e0c9b8a-0000-4000-8000-0000000000c1"]}]})"));
  ASSERT_TRUE(world.ok()) << world.status().ToString();
  EXPECT_EQ(world->queues[0].acw.prompt, WrapupPrompt::kMandatoryTimeout);
  EXPECT_EQ(world->queues[0].acw.timeout, seconds(30));
  EXPECT_EQ(world->wrapup_codes[0].name, "no-answer");

  const auto untimed = ParseWorld(nlohmann::json::parse(R"({"queues": [{
      "id": "7c1d2e3f-0000-4000-8000-0000000000a1",
      "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT"}}]})"));
  ASSERT_FALSE(untimed.ok());
  EXPECT_NE(untimed.status().message().find("/queues/0/acwSettings/timeoutMs"), std::string::npos)
      << untimed.status().message();

  const auto unknown_code = ParseWorld(nlohmann::json::parse(R"({"queues": [{
      "id": "7c1d2e3f-0000-4000-8000-0000000000a1",
      "wrapupCodes": ["3e0c9b8a-0000-4000-8000-0000000000c9"]}]})"));
  ASSERT_FALSE(unknown_code.ok());
  EXPECT_NE(unknown_code.status().message().find("/queues/0/wrapupCodes/0"), std::string::npos)
      << unknown_code.status().message();
}

}  // namespace
}  // namespace gcsim::core
