// Fault episodes over real HTTP: POST/GET/DELETE /sim/v1/faults, the answers a faulted request
// gets (the real bodies, Retry-After, the correlation and rate headers), the journal's mark, and
// a lost drop that leaves the leg up until it is dropped again.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class FaultsTest : public ServerFixture {
 protected:
  Response AddFault(const json& fault) { return SendJson("POST", "/sim/v1/faults", fault.dump()); }
  Response Drop(const std::string& token, const std::string& pid) {
    return SendJson("PATCH", GenericParticipantPath(kConversationId, pid), R"({"state":"disconnected"})", token);
  }
};

TEST_F(FaultsTest, A503BurstAnswersWithTheServiceErrorAndRetryAfterThenEnds) {
  const std::string token = Token();
  const Response added = AddFault({{"kind", "status"}, {"status", 503}, {"method", "PATCH"},
                                   {"retryAfter", "5s"}, {"count", 2}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.Json()["faults"][0].value("id", ""), "fault-1");

  for (int i = 0; i < 2; ++i) {
    const Response faulted = Drop(token, kSupervisorId);
    EXPECT_EQ(faulted.status, 503) << faulted.body;
    EXPECT_EQ(faulted.Json().value("code", ""), "service.unavailable");
    EXPECT_EQ(faulted.Header("Retry-After"), "5");
    EXPECT_FALSE(faulted.Header("ININ-Correlation-Id").empty());
    EXPECT_TRUE(faulted.HasHeader("inin-ratelimit-count"));
  }
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "connected");  // nothing happened
  EXPECT_EQ(Drop(token, kSupervisorId).status, 202);  // the burst is over

  const json journal = Get("/sim/v1/journal").Json();
  int marked = 0;
  for (const json& entry : journal["entries"]) marked += entry.value("fault", "") == "fault-1 status";
  EXPECT_EQ(marked, 2);
  EXPECT_EQ(Get("/sim/v1/faults").Json()["faults"][0].value("hits", 0), 2);
}

TEST_F(FaultsTest, GatewayErrorsHaveTheGatewaysShapeAndThrottleIsA429) {
  const std::string token = Token();
  ASSERT_EQ(AddFault({{"kind", "status"}, {"status", 504}, {"method", "GET"}, {"count", 1}}).status, 200);
  const Response gateway = Get("/api/v2/conversations/" + kConversationId, token);
  EXPECT_EQ(gateway.status, 504);
  EXPECT_EQ(gateway.Json().value("message", ""), "Gateway Timeout");
  EXPECT_FALSE(gateway.Json().contains("code"));

  ASSERT_EQ(AddFault({{"kind", "throttle"}, {"retryAfter", "3s"}, {"count", 1}}).status, 200);
  const Response throttled = Get("/api/v2/conversations/" + kConversationId, token);
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.Json().value("code", ""), "too.many.requests.retry.after");
  EXPECT_EQ(throttled.Header("Retry-After"), "3");
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, token).status, 200);
}

TEST_F(FaultsTest, ALostDropIsAcceptedAndForgottenTheNextOneLands) {
  const std::string token = Token();
  ASSERT_EQ(AddFault({{"kind", "lostDrop"}, {"participantId", kSupervisorId}, {"count", 1}}).status, 200);
  const Response lost = Drop(token, kSupervisorId);
  EXPECT_EQ(lost.status, 202);
  Advance("5s");
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "connected");
  EXPECT_EQ(Drop(token, kSupervisorId).status, 202);
  Advance("5s");
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "disconnected");
}

TEST_F(FaultsTest, AStuckLegTakesDropsAndGoesOnlyAtTheAttemptNamed) {
  const std::string token = Token();
  const Response added = AddFault({{"kind", "stuckMedia"}, {"participantId", kSupervisorId}, {"attempts", 3}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.Json()["faults"][0].value("attempts", 0), 3);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    EXPECT_EQ(Drop(token, kSupervisorId).status, 202);
    Advance("5s");
    EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "connected") << "attempt " << attempt;
  }
  EXPECT_EQ(Drop(token, kSupervisorId).status, 202);
  Advance("5s");
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "disconnected");
  EXPECT_EQ(CallLeg(token, kCustomerId).value("state", ""), "connected");  // only the leg named
}

TEST_F(FaultsTest, RevokedTokensGet401UntilANewOneIsFetched) {
  const std::string old_token = Token();
  Advance("1s");
  ASSERT_EQ(AddFault({{"kind", "revokeTokens"}, {"clientId", "demo-client"}}).status, 200);
  const Response refused = Get("/api/v2/conversations/" + kConversationId, old_token);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.Json().value("code", ""), "bad.credentials");
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, AgentToken()).status, 200);  // another client
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, Token()).status, 200);       // a new token
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, old_token).status, 401);     // still revoked
}

TEST_F(FaultsTest, BadEpisodesAreRefusedWholeAndDeleteClearsThem) {
  const Response refused = SendJson("POST", "/sim/v1/faults",
                                    R"({"faults":[{"kind":"status"},{"kind":"meteor"}]})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("/faults/1/kind: unknown fault kind"), std::string::npos) << refused.body;
  EXPECT_TRUE(Get("/sim/v1/faults").Json()["faults"].empty());  // all or nothing

  ASSERT_EQ(SendJson("POST", "/sim/v1/faults", R"({"faults":[{"kind":"status"}]})").status, 200);
  EXPECT_EQ(Get("/sim/v1/faults").Json()["faults"].size(), 1u);
  EXPECT_EQ(Send("DELETE", "/sim/v1/faults").status, 204);
  EXPECT_TRUE(Get("/sim/v1/faults").Json()["faults"].empty());
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, Token()).status, 200);
}

}  // namespace
}  // namespace gcsim::http::testing
