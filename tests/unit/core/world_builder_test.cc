// Building worlds and growing them, without a Simulator around them.
#include "world_builder.h"

#include <gtest/gtest.h>

#include "gcsim/core/api_errors.h"

namespace gcsim::core {
namespace {

const TimePoint kNow = TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));

TEST(WorldBuilderTest, BuildsTheDemoWorldIndexedById) {
  WorldState world;
  IdGenerator ids(1);
  ASSERT_TRUE(BuildWorld(DemoWorld(), world, ids, kNow, 1).ok());
  const Conversation* conv = world.FindConversation(std::string(kDemoConversationId));
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->start_time, kNow);
  EXPECT_EQ(world.by_start.size(), 1u);
  const Participant* supervisor = world.FindLeg(kDemoSupervisorId);
  ASSERT_NE(supervisor, nullptr);
  EXPECT_EQ(supervisor->conversation_id(), conv->id);
  ASSERT_EQ(supervisor->segments.size(), 1u);
  EXPECT_EQ(supervisor->segments[0].type, SegmentType::kInteract);
  EXPECT_EQ(world.users.size(), world.user_index.size());
}

TEST(WorldBuilderTest, RefusesDuplicatesAndDanglingLinks) {
  WorldSpec twice = DemoWorld();
  twice.users.push_back(twice.users.front());
  WorldState a;
  IdGenerator ids(1);
  EXPECT_NE(BuildWorld(twice, a, ids, kNow, 1).message().find("listed twice"), std::string::npos);

  WorldSpec dangling;
  dangling.conversations.push_back(
      {.legs = {{.id = "l1"}, {.id = "l2", .monitored_participant_id = "elsewhere"}}});
  WorldState b;
  const Status built = BuildWorld(dangling, b, ids, kNow, 1);
  EXPECT_EQ(built.message(),
            "/conversations/0: participant link elsewhere does not name a leg of the same "
            "conversation");

  WorldSpec itself;
  itself.conversations.push_back(
      {.legs = {{.id = "l1"}, {.id = "l2", .coached_participant_id = "l2"}}});
  WorldState c;
  EXPECT_EQ(BuildWorld(itself, c, ids, kNow, 1).message(),
            "/conversations/0: participant l2 cannot supervise itself");
}

TEST(WorldBuilderTest, GeneratedBridgesAreTheSameForTheSameSeed) {
  WorldSpec spec;
  spec.generated.push_back({.bridges = 20,
                            .purposes = {Purpose::kCustomer, Purpose::kAgent, Purpose::kUser},
                            .silent_legs = 1,
                            .silent_fraction = 0.5});
  const auto talkers = [&](uint64_t seed) {
    WorldState world;
    IdGenerator ids(seed);
    EXPECT_TRUE(BuildWorld(spec, world, ids, kNow, seed).ok());
    std::vector<bool> out;
    for (const Participant& leg : world.leg_storage) {
      out.push_back(leg.speech.kind == SpeechScript::Kind::kAlways);
    }
    return out;
  };
  const auto first = talkers(7);
  EXPECT_EQ(first.size(), 60u);
  EXPECT_EQ(first, talkers(7));
  EXPECT_NE(first, talkers(8));
  for (size_t i = 2; i < first.size(); i += 3) EXPECT_FALSE(first[i]) << "silent_legs: " << i;
}

TEST(WorldBuilderTest, GrowthStopsAtTheLimitsAndReferencesMustExist) {
  WorldState world;
  IdGenerator ids(1);
  ASSERT_TRUE(BuildWorld(DemoWorld(), world, ids, kNow, 1).ok());
  const size_t legs = world.leg_storage.size();
  const WorldLimits limits{.max_legs = legs + 1, .max_conversations = 2};
  EXPECT_TRUE(CheckGrowth(world, limits, 1, 1).ok());
  const Status full = CheckGrowth(world, limits, 0, 2);
  EXPECT_EQ(full.reason(), codes::kBadRequest);
  EXPECT_NE(full.message().find("--max-legs"), std::string::npos);
  EXPECT_NE(CheckGrowth(world, limits, 2, 0).message().find("--max-conversations"),
            std::string::npos);

  EXPECT_TRUE(CheckReferences(world, {{.user_id = std::string(kDemoAgentUserId)}}).ok());
  EXPECT_EQ(CheckReferences(world, {{.queue_id = "no-such-queue"}}).reason(),
            codes::kInvalidValue);
}

TEST(WorldBuilderTest, AddedLegJoinsNowAlertingOrConnected) {
  WorldState world;
  IdGenerator ids(1);
  ASSERT_TRUE(BuildWorld(DemoWorld(), world, ids, kNow, 1).ok());
  Conversation& conv = *world.FindConversation(std::string(kDemoConversationId));
  const TimePoint later = kNow + std::chrono::minutes(3);
  auto id = AddLegTo(world, ids, conv, {.state = LegState::kAlerting, .held = true}, later);
  ASSERT_TRUE(id.ok());
  const Participant& leg = *world.FindLeg(*id);
  EXPECT_EQ(leg.start_time, later);
  EXPECT_FALSE(leg.connected_time.has_value());
  EXPECT_FALSE(leg.held);  // only a connected leg can be held
  EXPECT_EQ(leg.segments.at(0).type, SegmentType::kAlert);
  EXPECT_EQ(conv.participants.back(), &leg);
  EXPECT_FALSE(AddLegTo(world, ids, conv, {.id = *id}, later).ok());
}

}  // namespace
}  // namespace gcsim::core
