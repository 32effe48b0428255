// The seed of the project over real HTTP: a naive drop PATCH answers 2xx and changes nothing;
// only {"state":"disconnected"} drops the leg, after disconnectLatency, and the bridge goes on.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class SeedTest : public ServerFixture {
 protected:
  core::WorldSpec DemoWith(core::Profile profile) {
    core::WorldSpec world = core::DemoWorld();
    world.profile = profile;
    return world;
  }

  // Everything the field report saw, on one participant path, in the observed profile.
  void ExpectSeedReproduced(const std::string& path) {
    const std::string token = Token();
    ASSERT_EQ(Observe(token, "oInteracting"), 2);  // the agent and the supervisor

    // The naive drop: 204, nothing changes, and gcsim says why.
    const Response naive = SendJson("PATCH", path, kSeedBody, token);
    EXPECT_EQ(naive.status, 204);
    EXPECT_EQ(naive.body, "");
    EXPECT_EQ(naive.Header("X-Gcsim-Ignored-Fields"), "dispositionCode,dropReason,id");
    EXPECT_EQ(CallLeg(token, kSupervisorId)["state"], "connected");
    EXPECT_EQ(Media(kSupervisorId)["flowing"], true);
    EXPECT_EQ(Observe(token, "oInteracting"), 2);
    EXPECT_FALSE(Get("/api/v2/conversations/" + kConversationId, token).Json().contains("endTime"));
    clock_->Advance(std::chrono::minutes(10));
    EXPECT_EQ(CallLeg(token, kSupervisorId)["state"], "connected") << "a phantom leg stays";

    json explained;
    for (const json& entry : Journal()) {
      if (entry["correlationId"] == naive.Header("ININ-Correlation-Id")) explained = entry;
    }
    ASSERT_FALSE(explained.is_null());
    EXPECT_EQ(explained["status"], 204);
    EXPECT_EQ(explained["method"], "PATCH");
    EXPECT_EQ(explained["clientId"], "demo-client");
    EXPECT_EQ(explained["conversationId"], kConversationId);
    EXPECT_EQ(explained["participantId"], kSupervisorId);
    EXPECT_EQ(explained["ignoredFields"], json({"dispositionCode", "dropReason", "id"}));
    EXPECT_EQ(
        explained["effect"],
        "nothing changed: no field the API acts on (ignored: dispositionCode, dropReason, id); "
        "the leg stays connected; the user's routing status now reads IDLE (the field report's "
        "phantom)");
    EXPECT_NE(explained["hint"].get<std::string>().find(R"({"state":"disconnected"})"),
              std::string::npos);

    // The fix: accepted now, landing after disconnectLatency (250ms).
    const Response drop = SendJson("PATCH", path, R"({"state":"disconnected"})", token);
    EXPECT_EQ(drop.status, 202);
    EXPECT_EQ(drop.body, "");
    EXPECT_FALSE(drop.HasHeader("X-Gcsim-Ignored-Fields"));
    Advance("249ms");
    EXPECT_EQ(CallLeg(token, kSupervisorId)["state"], "connected");
    EXPECT_EQ(Media(kSupervisorId)["flowing"], true);
    Advance("2ms");
    const json leg = CallLeg(token, kSupervisorId);
    EXPECT_EQ(leg["state"], "disconnected");
    EXPECT_EQ(leg["disconnectType"], "client");
    EXPECT_TRUE(leg.contains("endTime"));
    EXPECT_EQ(Media(kSupervisorId)["flowing"], false);

    // The bridge goes on without the supervisor.
    EXPECT_EQ(CallLeg(token, kCustomerId)["state"], "connected");
    EXPECT_EQ(CallLeg(token, kAgentId)["state"], "connected");
    EXPECT_FALSE(Get("/api/v2/conversations/" + kConversationId, token).Json().contains("endTime"));
    EXPECT_EQ(Observe(token, "oInteracting"), 2) << "analytics trail the world (analyticsLag 2s)";
    Advance("2s");
    EXPECT_EQ(Observe(token, "oInteracting"), 1);

    // Dropping it again is an error, as the API says.
    const Response again = SendJson("PATCH", path, R"({"state":"disconnected"})", token);
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(again.Json()["code"], "conversation.error.call.disconnected");
  }
};

TEST_F(SeedTest, ObservedProfileGenericPath) {
  ExpectSeedReproduced(GenericParticipantPath(kConversationId, kSupervisorId));
}

TEST_F(SeedTest, ObservedProfileCallPathAcceptsClientCredentials) {
  ExpectSeedReproduced(CallParticipantPath(kConversationId, kSupervisorId));
}

TEST_F(SeedTest, DocumentedProfileAnswers202AndStillChangesNothing) {
  StartServer(DemoWith(core::Profile::kDocumented));
  const std::string token = Token();
  const Response naive =
      SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId), kSeedBody, token);
  EXPECT_EQ(naive.status, 202);
  EXPECT_EQ(naive.Header("X-Gcsim-Ignored-Fields"), "dispositionCode,dropReason,id");
  Advance("1m");
  EXPECT_EQ(CallLeg(token, kSupervisorId)["state"], "connected");
  EXPECT_EQ(Media(kSupervisorId)["flowing"], true);
  EXPECT_EQ(Observe(token, "oInteracting"), 2);
}

TEST_F(SeedTest, StrictProfileRejectsUnknownFieldsOneDetailEach) {
  StartServer(DemoWith(core::Profile::kStrict));
  const std::string token = Token();
  const json before = State();
  const Response naive =
      SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId), kSeedBody, token);
  EXPECT_EQ(naive.status, 400);
  EXPECT_EQ(naive.Header("X-Gcsim-Ignored-Fields"), "dispositionCode,dropReason,id");
  const json body = naive.Json();
  EXPECT_EQ(body["code"], "bad.request");
  EXPECT_EQ(body["contextId"], naive.Header("ININ-Correlation-Id"));
  ASSERT_EQ(body["details"].size(), 3u);
  EXPECT_EQ(body["details"][0],
            json({{"errorCode", "unknown.field"}, {"fieldName", "dispositionCode"}}));
  EXPECT_EQ(body["details"][1]["fieldName"], "dropReason");
  EXPECT_EQ(body["details"][2]["fieldName"], "id");
  EXPECT_EQ(State(), before);
}

TEST_F(SeedTest, CallPathNeedsUserContextInDocumentedAndStrict) {
  for (const core::Profile profile : {core::Profile::kDocumented, core::Profile::kStrict}) {
    SCOPED_TRACE(core::ToString(profile));
    StartServer(DemoWith(profile));
    const std::string path = CallParticipantPath(kConversationId, kSupervisorId);
    const Response refused = SendJson("PATCH", path, R"({"state":"disconnected"})", Token());
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.Json()["code"], "not.a.user");
    EXPECT_EQ(
        refused.Json()["message"],
        "This request requires a user context. Client credentials cannot be used for requests "
        "to this resource.");

    const std::string agent = AgentToken();
    EXPECT_EQ(SendJson("PATCH", path, R"({"state":"disconnected"})", agent).status, 202);
    Advance("250ms");
    EXPECT_EQ(CallLeg(agent, kSupervisorId)["state"], "disconnected");
  }
}

}  // namespace
}  // namespace gcsim::http::testing
