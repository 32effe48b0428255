#include "gcsim/core/simulator.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "gcsim/core/api_errors.h"

namespace gcsim::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kConv(kDemoConversationId);
const std::string kCustomer(kDemoCustomerId);
const std::string kAgent(kDemoAgentId);
const std::string kSupervisor(kDemoSupervisorId);
// The seed's body as the HTTP layer reads it: three keys the API does not know.
const MediaParticipantRequest kSeedBody{.unknown_fields = {"dispositionCode", "dropReason", "id"}};
const MediaParticipantRequest kDrop{.state = std::string("disconnected")};

class SimulatorTest : public testing::Test {
 protected:
  void Start(WorldSpec world = DemoWorld(), std::optional<Profile> profile = std::nullopt) {
    auto created = Simulator::Create({.clock = &clock_, .profile = profile}, world);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    sim_ = std::move(created).value();
  }
  void SetUp() override { Start(); }

  // A copy of a leg as it is now.
  Participant Leg(const std::string& id) {
    Participant copy;
    sim_->Read([&](const WorldView& view) {
      const Participant* leg = view.FindParticipant(id);
      if (leg != nullptr) copy = *leg;
    });
    return copy;
  }
  MediaState Media(const std::string& id) {
    MediaState media;
    sim_->Read([&](const WorldView& view) { media = view.Media(*view.FindParticipant(id)); });
    return media;
  }
  std::optional<TimePoint> ConversationEnd(const std::string& id) {
    std::optional<TimePoint> end;
    sim_->Read([&](const WorldView& view) { end = view.FindConversation(id)->end_time; });
    return end;
  }
  UpdateOutcome Patch(const std::string& pid, const MediaParticipantRequest& body,
                      Caller caller = {"demo-client", ""},
                      ParticipantRoute route = ParticipantRoute::kGeneric) {
    return sim_->UpdateParticipant(kConv, pid, body, caller, route);
  }

  ManualClock clock_;
  std::unique_ptr<Simulator> sim_;
};

TEST_F(SimulatorTest, SeedBodyOnSupervisorBridgeChangesNothingAndAnswers204) {
  clock_.Advance(minutes(10));
  const UpdateOutcome out = Patch(kSupervisor, kSeedBody);
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.http_status, 204);
  EXPECT_EQ(out.ignored_fields, (std::vector<std::string>{"dispositionCode", "dropReason", "id"}));
  EXPECT_NE(out.hint.find("state"), std::string::npos);
  EXPECT_NE(out.effect_text.find("nothing changed"), std::string::npos);
  clock_.Advance(minutes(5));
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kConnected);
  EXPECT_TRUE(Media(kSupervisor).flowing);
  EXPECT_EQ(Media(kSupervisor).silent_for, minutes(15));
  EXPECT_FALSE(ConversationEnd(kConv).has_value());
}

TEST_F(SimulatorTest, StateDisconnectedDropsOnlyAfterTheLatency) {
  const UpdateOutcome out = Patch(kSupervisor, kDrop);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.http_status, 202);
  EXPECT_NE(out.effect_text.find("drop accepted"), std::string::npos);
  clock_.Advance(milliseconds(249));
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kConnected);
  EXPECT_TRUE(Media(kSupervisor).flowing);
  clock_.Advance(milliseconds(1));
  const Participant leg = Leg(kSupervisor);
  EXPECT_EQ(leg.state, LegState::kDisconnected);
  EXPECT_EQ(leg.disconnect_type, DisconnectType::kClient);
  EXPECT_EQ(leg.end_time, clock_.Now());
  EXPECT_FALSE(Media(kSupervisor).flowing);
  // Two people remain: the bridge goes on.
  EXPECT_EQ(Leg(kCustomer).state, LegState::kConnected);
  EXPECT_EQ(Leg(kAgent).state, LegState::kConnected);
  EXPECT_FALSE(ConversationEnd(kConv).has_value());
}

TEST_F(SimulatorTest, DroppingADisconnectedLegIsRefused) {
  Patch(kSupervisor, kDrop);
  clock_.Advance(seconds(1));
  const UpdateOutcome again = Patch(kSupervisor, kDrop);
  EXPECT_EQ(again.http_status, 400);
  EXPECT_EQ(again.status.reason(), codes::kCallDisconnected);
  EXPECT_EQ(again.status.message(), "The call is already disconnected.");
}

TEST_F(SimulatorTest, SecondDropBeforeItLandsIsAcceptedOnce) {
  Patch(kSupervisor, kDrop);
  const UpdateOutcome again = Patch(kSupervisor, kDrop);
  EXPECT_EQ(again.http_status, 202);
  EXPECT_NE(again.effect_text.find("already"), std::string::npos);
  clock_.Advance(seconds(1));
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kDisconnected);
}

TEST_F(SimulatorTest, FewerThanTwoPeopleEndsTheConversation) {
  Patch(kSupervisor, kDrop);
  Patch(kAgent, kDrop);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(ConversationEnd(kConv).has_value());
  for (const auto& id : {kCustomer, kAgent, kSupervisor}) {
    EXPECT_EQ(Leg(id).state, LegState::kTerminated) << id;
    EXPECT_TRUE(Leg(id).end_time.has_value());
  }
  EXPECT_EQ(Leg(kCustomer).disconnect_type, DisconnectType::kPeer);
  EXPECT_EQ(Leg(kAgent).disconnect_type, DisconnectType::kClient);
}

TEST_F(SimulatorTest, BadEnumValueIsInvalidValueAndChangesNothing) {
  const UpdateOutcome out = Patch(kSupervisor, {.state = std::string("gone"), .muted = true});
  EXPECT_EQ(out.http_status, 400);
  EXPECT_EQ(out.status.reason(), codes::kInvalidValue);
  EXPECT_NE(out.status.message().find("Value [gone] is not valid for field type [state]"),
            std::string::npos);
  ASSERT_EQ(out.field_errors.size(), 1u);
  EXPECT_EQ(out.field_errors[0].field, "state");
  EXPECT_FALSE(Leg(kSupervisor).muted);
}

TEST_F(SimulatorTest, WorldsBeyondTheLimitsAreRefusedBeforeBuilding) {
  WorldSpec world = DemoWorld();
  world.generated.push_back({.bridges = 100'000'000,
                             .purposes = {Purpose::kCustomer, Purpose::kAgent, Purpose::kUser}});
  EXPECT_EQ(SizeOf(world).legs, 300'000'003u);
  const Status refused = sim_->Reset(world);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("--max-legs"), std::string::npos) << refused.message();
  EXPECT_EQ(Leg(kSupervisor).id, kSupervisor);  // the world is unchanged

  const WorldLimits limits{.max_legs = 10, .max_conversations = 3};
  world.generated = {{.bridges = 2, .purposes = {Purpose::kCustomer, Purpose::kAgent}}};
  EXPECT_TRUE(CheckWorldLimits(world, limits).ok());
  world.generated[0].bridges = 3;
  EXPECT_NE(CheckWorldLimits(world, limits).message().find("--max-conversations"),
            std::string::npos);
  EXPECT_FALSE(Simulator::Create({.clock = &clock_, .limits = limits}, world).ok());
}

TEST_F(SimulatorTest, ApiWritesCannotGrowTheWorldPastTheLimits) {
  WorldSpec world = DemoWorld();  // three legs, one conversation
  auto created = Simulator::Create({.clock = &clock_, .limits = {.max_legs = 5, .max_conversations = 2}}, world);
  ASSERT_TRUE(created.ok());
  sim_ = std::move(*created);
  const AddParticipantsRequest two{.participants = {{.purpose = Purpose::kExternal, .address = "tel:+1"},
                                                    {.purpose = Purpose::kExternal, .address = "tel:+2"}}};
  ASSERT_TRUE(sim_->AddParticipants(kConv, two).ok());
  const auto refused = sim_->AddParticipants(
      kConv, {.participants = {{.purpose = Purpose::kExternal, .address = "tel:+3"}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--max-legs"), std::string::npos);
  EXPECT_FALSE(sim_->CreateCall({.phone_number = "+13175550100"}, {"demo-client", ""}).ok());
  EXPECT_FALSE(sim_->Transfer(kSupervisor).ok());
}

// A clock whose Now() blocks on the thread that is resetting, until released: the reset is
// then mid-build, and the test can see whether reads still get through.
class BlockingClock final : public Clock {
 public:
  TimePoint Now() const override {
    std::unique_lock lock(mu_);
    if (std::this_thread::get_id() == blocked_thread_) {
      blocked_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return released_; });
    }
    return inner_.Now();
  }
  bool WaitUntil(TimePoint deadline, std::stop_token stop) override {
    return inner_.WaitUntil(deadline, stop);
  }
  TimerId Schedule(TimePoint at, std::function<void()> fn) override {
    return inner_.Schedule(at, std::move(fn));
  }
  bool Cancel(TimerId id) override { return inner_.Cancel(id); }
  std::optional<TimePoint> NextWakeup() const override { return inner_.NextWakeup(); }

  void BlockThread(std::thread::id id) {
    std::lock_guard lock(mu_);
    blocked_thread_ = id;
  }
  void WaitUntilBlocked() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return blocked_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  ManualClock inner_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::thread::id blocked_thread_;
  mutable bool blocked_ = false;
  bool released_ = false;
};

TEST(SimulatorResetTest, ReadsGoOnWhileANewWorldIsBuilt) {
  BlockingClock clock;
  auto created = Simulator::Create({.clock = &clock}, DemoWorld());
  ASSERT_TRUE(created.ok());
  Simulator& sim = **created;
  WorldSpec big;
  big.generated.push_back({.bridges = 10, .purposes = {Purpose::kCustomer, Purpose::kAgent}});
  std::thread reset([&] {
    clock.BlockThread(std::this_thread::get_id());
    EXPECT_TRUE(sim.Reset(big).ok());
  });
  clock.WaitUntilBlocked();  // the reset is building, stopped inside Build's clock read
  // With the world lock held through the build, this read would wait for the release below,
  // which only comes after it: the test would hang instead of passing.
  auto read = std::async(std::launch::async, [&] {
    size_t conversations = 0;
    sim.Read([&](const WorldView& view) { conversations = view.ConversationsByStart().size(); });
    return conversations;
  });
  EXPECT_EQ(read.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  clock.Release();
  reset.join();
  EXPECT_EQ(read.get(), 1u);  // the old world, whole
  size_t conversations = 0;
  sim.Read([&](const WorldView& view) { conversations = view.ConversationsByStart().size(); });
  EXPECT_EQ(conversations, 10u);
}

TEST_F(SimulatorTest, UnknownConversationOrParticipantIs404) {
  auto out = sim_->UpdateParticipant("00000000-0000-4000-8000-000000000000", kSupervisor, kDrop,
                                     {}, ParticipantRoute::kGeneric);
  EXPECT_EQ(out.http_status, 404);
  EXPECT_EQ(out.status.reason(), codes::kNotFound);
  out = Patch("00000000-0000-4000-8000-000000000000", kDrop);
  EXPECT_EQ(out.http_status, 404);
  EXPECT_EQ(out.status.reason(), codes::kNotParticipant);
}

TEST_F(SimulatorTest, HeldMutedConfinedNeverDropALeg) {
  const UpdateOutcome out = Patch(kSupervisor, {.held = true, .muted = true, .confined = true});
  EXPECT_EQ(out.http_status, 202);
  clock_.Advance(minutes(30));
  const Participant leg = Leg(kSupervisor);
  EXPECT_EQ(leg.state, LegState::kConnected);
  EXPECT_TRUE(leg.held && leg.muted && leg.confined);
  EXPECT_TRUE(Media(kSupervisor).flowing);
  // Setting a flag to the value it already has changes nothing: 204 in the observed profile.
  EXPECT_EQ(Patch(kSupervisor, {.held = true}).http_status, 204);
}

TEST_F(SimulatorTest, MutedTalkerIsNotHeard) {
  ASSERT_TRUE(sim_->SetSpeech(kSupervisor, SpeechScript::Always()).ok());
  clock_.Advance(minutes(1));
  ASSERT_TRUE(sim_->SetMuted(kSupervisor, true).ok());
  clock_.Advance(minutes(10));
  const MediaState media = Media(kSupervisor);
  EXPECT_TRUE(media.speaking);
  EXPECT_EQ(media.silent_for, minutes(10));
  ASSERT_TRUE(sim_->SetMuted(kSupervisor, false).ok());
  EXPECT_EQ(Media(kSupervisor).silent_for, Duration::zero());
}

TEST_F(SimulatorTest, HoldOnAnAlertingLegIsRefused) {
  WorldSpec world = DemoWorld();
  world.conversations[0].legs[2].state = LegState::kAlerting;
  Start(world);
  const UpdateOutcome out = Patch(kSupervisor, {.held = true});
  EXPECT_EQ(out.status.reason(), codes::kHoldAlerting);
  EXPECT_EQ(Patch(kSupervisor, {.state = std::string("connected")}).http_status, 202);
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kConnected);
}

TEST_F(SimulatorTest, ProfilesDecideTheSuccessStatus) {
  Start(DemoWorld(), Profile::kDocumented);
  EXPECT_EQ(Patch(kSupervisor, kSeedBody).http_status, 202);
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kConnected);

  Start(DemoWorld(), Profile::kStrict);
  const UpdateOutcome strict = Patch(kSupervisor, kSeedBody);
  EXPECT_EQ(strict.http_status, 400);
  EXPECT_EQ(strict.field_errors.size(), 3u);
  EXPECT_EQ(strict.field_errors[0].field, "dispositionCode");
  EXPECT_EQ(Patch(kSupervisor, kDrop).http_status, 202);
}

TEST_F(SimulatorTest, CallRouteNeedsUserContextExceptWhenObserved) {
  EXPECT_EQ(Patch(kSupervisor, kSeedBody, {"demo-client", ""}, ParticipantRoute::kCall).http_status, 204);
  Start(DemoWorld(), Profile::kDocumented);
  const UpdateOutcome refused = Patch(kSupervisor, kDrop, {"demo-client", ""}, ParticipantRoute::kCall);
  EXPECT_EQ(refused.status.reason(), codes::kNotAUser);
  const Caller agent{"demo-agent-app", std::string(kDemoAgentUserId)};
  EXPECT_EQ(Patch(kSupervisor, kDrop, agent, ParticipantRoute::kCall).http_status, 202);
}

TEST_F(SimulatorTest, SilentLegsListsOnlyFlowingLegsSilentLongEnough) {
  clock_.Advance(minutes(10));
  const auto silent = sim_->SilentLegs(minutes(10));
  ASSERT_EQ(silent->size(), 1u);
  EXPECT_EQ((*silent)[0].participant_id, kSupervisor);
  EXPECT_EQ((*silent)[0].media.silent_for, minutes(10));
  // Asked again at the same instant of the same world: the same listing, not a new scan.
  EXPECT_EQ(sim_->SilentLegs(minutes(10)), silent);
  EXPECT_EQ(sim_->SilentLegs(minutes(10) + milliseconds(1))->size(), 0u);
  // Any change to the world at that instant makes a new listing.
  ASSERT_TRUE(sim_->SetSpeech(kSupervisor, SpeechScript::Always()).ok());
  EXPECT_TRUE(sim_->SilentLegs(minutes(10))->empty());
  ASSERT_TRUE(sim_->SetSpeech(kSupervisor, SpeechScript::Never()).ok());
  Patch(kSupervisor, kDrop);
  clock_.Advance(seconds(1));
  EXPECT_TRUE(sim_->SilentLegs(minutes(1))->empty());
}

TEST_F(SimulatorTest, TransferCreatesANewParticipantForTheSameUser) {
  auto replaced = sim_->Transfer(kAgent);
  ASSERT_TRUE(replaced.ok());
  EXPECT_NE(*replaced, kAgent);
  EXPECT_EQ(Leg(kAgent).state, LegState::kDisconnected);
  EXPECT_EQ(Leg(kAgent).disconnect_type, DisconnectType::kTransfer);
  EXPECT_EQ(Leg(*replaced).state, LegState::kConnected);
  EXPECT_EQ(Leg(*replaced).user_id, std::string(kDemoAgentUserId));
  EXPECT_FALSE(ConversationEnd(kConv).has_value());
  EXPECT_EQ(Patch(kAgent, kDrop).status.reason(), codes::kCallDisconnected);
}

TEST_F(SimulatorTest, HangUpAndNewLegs) {
  LegSpec extra{.purpose = Purpose::kExternal, .address = "tel:+15550001"};
  auto added = sim_->AddLeg(kConv, extra);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(Leg(*added).state, LegState::kConnected);
  ASSERT_TRUE(sim_->HangUp(kCustomer).ok());
  EXPECT_EQ(Leg(kCustomer).disconnect_type, DisconnectType::kEndpoint);
  EXPECT_FALSE(ConversationEnd(kConv).has_value());
  EXPECT_EQ(sim_->HangUp(kCustomer).reason(), codes::kCallDisconnected);
}

TEST_F(SimulatorTest, WholeConversationEndsAfterTheLatency) {
  const UpdateOutcome out = sim_->UpdateConversation(kConv, {.state = "disconnected", .state_is_string = true});
  EXPECT_EQ(out.http_status, 200);
  EXPECT_FALSE(ConversationEnd(kConv).has_value());
  clock_.Advance(seconds(1));
  EXPECT_TRUE(ConversationEnd(kConv).has_value());
  EXPECT_EQ(sim_->DisconnectConversation(kConv).status.reason(), codes::kCallDisconnected);
}

TEST_F(SimulatorTest, CreateCallAndAddParticipants) {
  const Caller agent{"demo-agent-app", std::string(kDemoAgentUserId)};
  auto created = sim_->CreateCall({.phone_number = "+13175550199"}, agent);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto added = sim_->AddParticipants(
      *created, {.participants = {{.purpose = Purpose::kExternal, .address = "tel:+1555"}}});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  size_t legs = 0;
  sim_->Read([&](const WorldView& view) { legs = view.FindConversation(*created)->participants.size(); });
  EXPECT_EQ(legs, 3u);
  EXPECT_FALSE(sim_->CreateCall({}, {}).ok());  // nobody to call
  EXPECT_FALSE(sim_->CreateCall({.call_user_id = "00000000-0000-4000-8000-000000000009"}, {}).ok());
}

TEST_F(SimulatorTest, TokensExpireOnTheClockAndBadSecretsFail) {
  WorldSpec world = DemoWorld();
  world.oauth_clients[0].token_lifetime = seconds(300);
  Start(world);
  EXPECT_EQ(sim_->IssueToken("demo-client", "wrong").status().code(), StatusCode::kUnauthenticated);
  auto grant = sim_->IssueToken("demo-client", "demo-secret");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->expires_in, seconds(300));
  auto caller = sim_->Authenticate(grant->access_token);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->client_id, "demo-client");
  EXPECT_TRUE(caller->user_id.empty());
  clock_.Advance(seconds(299));
  EXPECT_TRUE(sim_->Authenticate(grant->access_token).ok());
  clock_.Advance(seconds(1));
  EXPECT_EQ(sim_->Authenticate(grant->access_token).status().reason(), codes::kBadCredentials);
  auto agent = sim_->IssueToken("demo-agent-app", "demo-agent-secret");
  EXPECT_EQ(sim_->Authenticate(agent->access_token)->user_id, std::string(kDemoAgentUserId));
}

TEST_F(SimulatorTest, RateBudgetPerClientPerMinute) {
  WorldSpec world = DemoWorld();
  world.rate_limit = 3;
  Start(world);
  clock_.Advance(seconds(15));
  for (int i = 1; i <= 3; ++i) {
    const RateDecision ok = sim_->ChargeRequest("demo-client");
    EXPECT_FALSE(ok.limited);
    EXPECT_EQ(ok.count, i);
    EXPECT_EQ(ok.allowed, 3);
  }
  clock_.Advance(seconds(20));
  const RateDecision limited = sim_->ChargeRequest("demo-client");
  EXPECT_TRUE(limited.limited);
  EXPECT_EQ(limited.reset_seconds, 40);
  EXPECT_FALSE(sim_->ChargeRequest("demo-agent-app").limited);  // budgets are per client
  clock_.Advance(seconds(40));
  EXPECT_FALSE(sim_->ChargeRequest("demo-client").limited);
}

TEST_F(SimulatorTest, JournalExplainsDelayedEffects) {
  Patch(kSupervisor, kDrop);
  clock_.Advance(seconds(1));
  const auto entries = sim_->journal().Entries();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().kind, "effect");
  EXPECT_EQ(entries.back().participant_id, kSupervisor);
  EXPECT_NE(entries.back().effect.find("goes on with 2 people"), std::string::npos);
}

TEST_F(SimulatorTest, EveryDropRecordsWhenItsLegWasLastHeard) {
  std::vector<JournalEntry> tapped;
  sim_->journal().SetTap([&](const JournalEntry& entry) { tapped.push_back(entry); });
  // The supervisor never speaks: silent since it connected, at the start.
  const TimePoint start = clock_.Now();
  clock_.Advance(minutes(3));
  const UpdateOutcome drop = Patch(kSupervisor, kDrop);
  ASSERT_TRUE(drop.drop_silent_since.has_value());
  EXPECT_EQ(*drop.drop_silent_since, start);
  // A PATCH that drops nothing carries no drop evidence.
  EXPECT_FALSE(Patch(kAgent, kSeedBody).drop_silent_since.has_value());
  // Ending the whole conversation: the most recently heard leg counts (the agent and the
  // customer take turns talking, so one of them was heard within the last 45s).
  const UpdateOutcome end = sim_->DisconnectConversation(kConv);
  ASSERT_TRUE(end.drop_silent_since.has_value());
  EXPECT_GT(*end.drop_silent_since, clock_.Now() - seconds(45));

  JournalEntry entry{.at = clock_.Now(), .drop_silent_since = start};
  EXPECT_EQ(ToJson(entry)["dropSilentFor"], "3m");
  sim_->journal().Append(entry);
  ASSERT_FALSE(tapped.empty());
  EXPECT_EQ(tapped.back().sequence, sim_->journal().Entries().back().sequence);
  EXPECT_EQ(tapped.back().drop_silent_since, start);
}

TEST_F(SimulatorTest, ResetReplacesTheWorldAndCancelsPendingDrops) {
  Patch(kSupervisor, kDrop);
  ASSERT_TRUE(sim_->Reset(DemoWorld()).ok());
  clock_.Advance(seconds(1));
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kConnected);
  WorldSpec broken = DemoWorld();
  broken.conversations.push_back(broken.conversations[0]);
  EXPECT_FALSE(sim_->Reset(broken).ok());
  EXPECT_EQ(Leg(kSupervisor).state, LegState::kConnected);  // the old world is kept
}

TEST_F(SimulatorTest, GeneratedWorldsAreDeterministic) {
  WorldSpec world;
  world.generated.push_back({.bridges = 200,
                             .purposes = {Purpose::kCustomer, Purpose::kAgent, Purpose::kUser},
                             .silent_fraction = 0.2});
  Start(world);
  clock_.Advance(minutes(10));
  const auto first = *sim_->SilentLegs(minutes(10));
  EXPECT_GT(first.size(), 60u);
  EXPECT_LT(first.size(), 180u);
  ManualClock other_clock;
  auto other = Simulator::Create({.clock = &other_clock}, world);
  other_clock.Advance(minutes(10));
  const auto second = *(*other)->SilentLegs(minutes(10));
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].participant_id, second[i].participant_id);
}

}  // namespace
}  // namespace gcsim::core
