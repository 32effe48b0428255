// Users, routing status and queues over real HTTP: the calls real scripts make around a drop,
// and the field report's last symptom (a no-op PATCH leaves the leg up while the user's
// routing status reads IDLE).
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

const std::string kAgentUser(core::kDemoAgentUserId);
const std::string kSupervisorUser(core::kDemoSupervisorUserId);

class UsersTest : public ServerFixture {
 protected:
  json RoutingStatus(const std::string& token, const std::string& user) {
    const Response response = Get("/api/v2/users/" + user + "/routingstatus", token);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }
};

TEST_F(UsersTest, UsersAndMeAsTheApiShowsThem) {
  const Response agent = Get("/api/v2/users/" + kAgentUser, Token());
  ASSERT_EQ(agent.status, 200) << agent.body;
  EXPECT_EQ(agent.Json().value("name", ""), "Avery Agent");
  EXPECT_EQ(agent.Json().value("selfUri", ""), "/api/v2/users/" + kAgentUser);

  const Response me = Get("/api/v2/users/me", AgentToken());
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json().value("id", ""), kAgentUser);

  const Response no_user = Get("/api/v2/users/me", Token());  // client credentials: no user
  EXPECT_EQ(no_user.status, 400);
  EXPECT_EQ(no_user.Json().value("code", ""), "not.a.user");
  const Response unknown = Get("/api/v2/users/00000000-0000-4000-8000-000000000000", Token());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.Json().value("code", ""), "not.found");
}

TEST_F(UsersTest, QueuesAreListedInPages) {
  const Response queues = Get("/api/v2/routing/queues?pageSize=1", Token());
  ASSERT_EQ(queues.status, 200) << queues.body;
  const json listing = queues.Json();
  ASSERT_EQ(listing["entities"].size(), 1u);
  EXPECT_EQ(listing["entities"][0].value("id", ""), kQueueId);
  EXPECT_EQ(listing.value("total", 0), 1);
  EXPECT_EQ(listing.value("firstUri", ""), "/api/v2/routing/queues?pageSize=1&pageNumber=1");
  EXPECT_EQ(Get("/api/v2/routing/queues?pageSize=0", Token()).status, 400);
}

TEST_F(UsersTest, TheUsersActiveConversations) {
  const Response mine = Get("/api/v2/conversations", AgentToken());
  ASSERT_EQ(mine.status, 200) << mine.body;
  ASSERT_EQ(mine.Json()["entities"].size(), 1u);
  EXPECT_EQ(mine.Json()["entities"][0].value("id", ""), kConversationId);
  EXPECT_EQ(Get("/api/v2/conversations", Token()).Json().value("code", ""), "not.a.user");
}

// Interacting on the queue's bridge; idle once the leg is really dropped.
TEST_F(UsersTest, RoutingStatusFollowsTheUsersLegs) {
  const std::string token = Token();
  Advance("1m");
  json status = RoutingStatus(token, kSupervisorUser);
  EXPECT_EQ(status.value("status", ""), "INTERACTING");
  EXPECT_EQ(status.value("startTime", ""), "2026-01-01T09:00:00.000Z");
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token).status, 202);
  Advance("1s");
  // The supervisor's leg is on the queue: after-call work keeps it INTERACTING until skipped.
  EXPECT_EQ(RoutingStatus(token, kSupervisorUser).value("status", ""), "INTERACTING");
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"wrapupSkipped":true})", token).status, 202);
  status = RoutingStatus(token, kSupervisorUser);
  EXPECT_EQ(status.value("status", ""), "IDLE");
  EXPECT_EQ(status.value("startTime", ""), "2026-01-01T09:01:01.000Z");
  EXPECT_EQ(RoutingStatus(token, kAgentUser).value("status", ""), "INTERACTING");
  EXPECT_EQ(Get("/api/v2/users/00000000-0000-4000-8000-000000000000/routingstatus", token).status, 404);
}

// After-call work is part of the queue's interaction: INTERACTING until the wrap-up ends it.
TEST_F(UsersTest, AnAgentInAfterCallWorkReadsInteracting) {
  const std::string token = Token();
  ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kAgentId),
                     R"({"state":"disconnected"})", token).status, 202);
  Advance("1m");
  ASSERT_TRUE(CallLeg(token, kAgentId).contains("startAcwTime"));
  EXPECT_EQ(RoutingStatus(token, kAgentUser).value("status", ""), "INTERACTING");
  const Response wrapup = SendJson("POST", CallParticipantPath(kConversationId, kAgentId) +
                                               "/communications/" + kAgentId + "/wrapup",
                                   R"({"code":"resolved"})", token);
  ASSERT_EQ(wrapup.status, 202) << wrapup.body;
  const json status = RoutingStatus(token, kAgentUser);
  EXPECT_EQ(status.value("status", ""), "IDLE");
  EXPECT_EQ(status.value("startTime", ""), "2026-01-01T09:01:00.000Z") << "since ACW ended";
}

// A queue's alerting timeout: the agent's leg rings unanswered, leaves as transfer.noanswer,
// and the agent reads NOT_RESPONDING; answered in time, nothing of the sort.
class AlertingTest : public UsersTest {
 protected:
  void SetUp() override {
    core::WorldSpec world = core::DemoWorld();
    world.queues[0].alerting_timeout = std::chrono::seconds(8);
    for (core::LegSpec& leg : world.conversations[0].legs) {
      if (leg.id == kAgentId) leg.state = core::LegState::kAlerting;
    }
    StartServer(world);
  }
};

TEST_F(AlertingTest, AnUnansweredAgentLegRingsOutAndTheAgentIsNotResponding) {
  const std::string token = Token();
  Advance("7s");
  EXPECT_EQ(CallLeg(token, kAgentId)["state"], "alerting");
  EXPECT_EQ(RoutingStatus(token, kAgentUser).value("status", ""), "INTERACTING");
  Advance("2s");
  const json agent = CallLeg(token, kAgentId);
  EXPECT_EQ(agent["state"], "disconnected");
  EXPECT_EQ(agent["disconnectType"], "transfer.noanswer");
  EXPECT_FALSE(agent.contains("startAcwTime")) << "nothing to wrap up: it never connected";
  const json status = RoutingStatus(token, kAgentUser);
  EXPECT_EQ(status.value("status", ""), "NOT_RESPONDING");
  EXPECT_EQ(status.value("startTime", ""), "2026-01-01T09:00:08.000Z");
}

TEST_F(AlertingTest, AnsweredInTimeTheLegStays) {
  const std::string token = AgentToken();
  Advance("5s");
  ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kAgentId),
                     R"({"state":"connected"})", token).status, 202);
  Advance("1m");
  EXPECT_EQ(CallLeg(token, kAgentId)["state"], "connected");
  EXPECT_EQ(RoutingStatus(token, kAgentUser).value("status", ""), "INTERACTING");
}

// The field report (observed profile): after the seed's PATCH, IDLE while the leg stays up.
TEST_F(UsersTest, TheSeedsPatchLeavesTheLegUpAndTheUserReadingIdle) {
  const std::string token = Token();
  Advance("10m");
  const Response patched = SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId), kSeedBody, token);
  EXPECT_EQ(patched.status, 204);
  Advance("1m");
  const json status = RoutingStatus(token, kSupervisorUser);
  EXPECT_EQ(status.value("status", ""), "IDLE");
  EXPECT_EQ(status.value("startTime", ""), "2026-01-01T09:10:00.000Z");
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "connected");
  EXPECT_TRUE(Media(kSupervisorId).value("flowing", false));
  bool explained = false;
  for (const json& entry : Journal()) {
    explained = explained || entry.value("effect", "").find("routing status now reads IDLE") != std::string::npos;
  }
  EXPECT_TRUE(explained) << Journal().dump();
}

// The documented profile answers 202 and does not reproduce the symptom.
TEST_F(UsersTest, TheDocumentedProfileKeepsTheUserInteracting) {
  StartServer(core::DemoWorld(), {.profile = core::Profile::kDocumented});
  const std::string token = Token();
  EXPECT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId), kSeedBody, token).status, 202);
  EXPECT_EQ(RoutingStatus(token, kSupervisorUser).value("status", ""), "INTERACTING");
}

}  // namespace
}  // namespace gcsim::http::testing
