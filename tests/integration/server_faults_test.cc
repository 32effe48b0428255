// Fault episodes over real HTTP: POST/GET/DELETE /sim/v1/faults, the answers a faulted request
// gets (the real bodies, Retry-After, the correlation and rate headers), the journal's mark, and
// a lost drop that leaves the leg up until it is dropped again.
#include <future>
#include <thread>

#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class FaultsTest : public ServerFixture {
 protected:
  Response AddFault(const json& fault) { return SendJson("POST", "/sim/v1/faults", fault.dump()); }
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

// Every request is matched against every episode held: the book holds at most 1000, and a body
// with "faults" says nothing else (a misspelt key beside it would be lost silently).
TEST_F(FaultsTest, TheBookHoldsAThousandEpisodesAndABatchSaysNothingElse) {
  const auto batch = [](size_t count) {
    json faults = json::array();
    for (size_t i = 0; i < count; ++i)
      faults.push_back({{"kind", "status"}, {"route", "/api/v2/users/me"}});
    return json{{"faults", faults}};
  };
  const Response too_many = AddFault(batch(1001));
  ExpectErrorBody(too_many, 400);
  EXPECT_NE(too_many.body.find("at most 1000 fault episodes"), std::string::npos) << too_many.body;
  EXPECT_TRUE(Get("/sim/v1/faults").Json()["faults"].empty());  // all or nothing

  ASSERT_EQ(AddFault(batch(999)).status, 200);
  ASSERT_EQ(AddFault({{"kind", "status"}, {"route", "/api/v2/users/me"}}).status, 200);
  const Response full = AddFault({{"kind", "status"}});
  ExpectErrorBody(full, 400);
  EXPECT_NE(full.body.find("1000 held"), std::string::npos) << full.body;
  EXPECT_EQ(Get("/sim/v1/faults").Json()["faults"].size(), 1000u);
  EXPECT_EQ(Send("DELETE", "/sim/v1/faults").status, 204);

  json extra = batch(1);
  extra["fualts"] = json::array({{{"kind", "throttle"}}});
  const Response refused = AddFault(extra);
  ExpectErrorBody(refused, 400);
  EXPECT_NE(refused.body.find("/fualts: unknown field"), std::string::npos) << refused.body;
  EXPECT_TRUE(Get("/sim/v1/faults").Json()["faults"].empty());
}

// A latency fault holds the answer until the manual clock reaches it; the request was
// carried out when it came (the journal says when), and other clients are not held up.
TEST_F(FaultsTest, LatencyHoldsTheAnswerUntilTheClockReachesIt) {
  core::WorldSpec world = core::DemoWorld();
  world.disconnect_latency = Duration::zero();  // the drop shows at once, while its answer waits
  // Unlimited: the polls below would otherwise spend the minute's budget before a dropper that
  // starts late sends its PATCH, which then gets a 429 (seen once under a loaded ctest -j2).
  world.rate_limit = 0;
  StartServer(world);
  const std::string token = Token();
  ASSERT_EQ(AddFault({{"kind", "latency"}, {"method", "PATCH"}, {"delay", "30s"}, {"count", 1}}).status, 200);
  std::promise<Response> answer;
  std::thread dropper([&] {
    auto client = NewClient();
    answer.set_value(Send(*client, "PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                          R"({"state":"disconnected"})", JsonAuth(token)));
  });
  std::future<Response> held = answer.get_future();
  bool carried_out = false;  // bounded by a count, not by wall time
  for (int i = 0; i < 100000 && !carried_out; ++i) {
    carried_out = CallLeg(token, kSupervisorId).value("state", "") == "disconnected";
  }
  EXPECT_TRUE(carried_out);
  EXPECT_EQ(held.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  Advance("29s");
  EXPECT_EQ(held.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  Advance("1s");
  ASSERT_EQ(held.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  dropper.join();
  EXPECT_EQ(held.get().status, 202);
  bool marked = false;
  for (const json& entry : Journal()) {
    if (entry.value("fault", "") != "fault-1 latency") continue;
    marked = true;
    EXPECT_EQ(entry.value("at", ""), "2026-01-01T09:00:00.000Z") << entry.dump();
    EXPECT_NE(entry.value("effect", "").find("answered after 30s"), std::string::npos) << entry.dump();
  }
  EXPECT_TRUE(marked) << Journal().dump();
}

// Stopping the server lets go of an answer a latency fault holds.
TEST_F(FaultsTest, StoppingTheServerReleasesAHeldAnswer) {
  const std::string token = Token();
  ASSERT_EQ(AddFault({{"kind", "latency"}, {"method", "GET"}, {"delay", "1h"}}).status, 200);
  std::thread reader([&] {
    auto client = NewClient();
    Send(*client, "GET", "/api/v2/conversations/" + kConversationId, "", Auth(token));
  });
  for (int i = 0; i < 100000 && Get("/sim/v1/faults").Json()["faults"][0].value("hits", 0) == 0; ++i) {
  }
  StopServer();  // returns: the held answer does not keep a worker
  reader.join();
}

// reset and close: the request is carried out, the client gets no whole answer.
TEST_F(FaultsTest, ResetAndCloseCarryTheRequestOutAndLoseTheAnswer) {
  const std::string token = Token();
  ASSERT_EQ(AddFault({{"faults", {{{"kind", "reset"}, {"participantId", kSupervisorId}, {"count", 1}},
                                  {{"kind", "close"}, {"participantId", kAgentId}, {"count", 1}}}}}).status,
            200);
  auto reset_client = NewClient();
  const Response reset = Send(*reset_client, "PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                              R"({"state":"disconnected"})", JsonAuth(token));
  EXPECT_EQ(reset.status, 0) << reset.body;  // no answer at all
  auto close_client = NewClient();
  const Response closed = Send(*close_client, "PATCH", GenericParticipantPath(kConversationId, kAgentId),
                               R"({"state":"disconnected"})", JsonAuth(token));
  EXPECT_EQ(closed.status, 0) << closed.body;  // headers, then the connection closed: no whole answer
  Advance("1s");
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("disconnectType", ""), "client");
  EXPECT_EQ(CallLeg(token, kAgentId).value("disconnectType", ""), "client");
  int lost = 0;
  for (const json& entry : Journal()) lost += entry.value("answerLost", false);
  EXPECT_EQ(lost, 2) << Journal().dump();
  const std::string metrics = Get("/sim/v1/metrics").body;
  EXPECT_NE(metrics.find("gcsim_failed_requests_total{client=\"demo-client\"} 2"), std::string::npos)
      << metrics;
}

// staleReads: a GET of the conversation shows it as it was; writes and other routes see now.
TEST_F(FaultsTest, StaleReadsShowTheConversationAsItWas) {
  const std::string token = Token();
  Advance("2m");
  ASSERT_EQ(Drop(token, kSupervisorId).status, 202);
  Advance("10s");
  ASSERT_EQ(AddFault({{"kind", "staleReads"}, {"lag", "1m"}}).status, 200);
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "connected");  // a minute ago
  const Response conversation = Get("/api/v2/conversations/" + kConversationId, token);
  EXPECT_EQ(conversation.status, 200);
  EXPECT_EQ(conversation.body.find("\"disconnected\""), std::string::npos) << conversation.body;
  EXPECT_EQ(Media(kSupervisorId).value("flowing", true), false);  // the control plane is never stale
  Advance("1m");
  EXPECT_EQ(CallLeg(token, kSupervisorId).value("state", ""), "disconnected");
  EXPECT_EQ(Send("DELETE", "/sim/v1/faults").status, 204);
}

// staleAnalytics and the world's analyticsLag: the observation trails the world.
TEST_F(FaultsTest, StaleAnalyticsTrailTheWorld) {
  const std::string token = Token();
  Advance("2m");
  const int before = Observe(token, "oInteracting");
  ASSERT_GT(before, 0);
  ASSERT_EQ(Drop(token, kAgentId).status, 202);
  Advance("10s");
  EXPECT_EQ(Observe(token, "oInteracting"), before - 1);
  ASSERT_EQ(AddFault({{"kind", "staleAnalytics"}, {"lag", "30s"}}).status, 200);
  EXPECT_EQ(Observe(token, "oInteracting"), before);  // the world of 20 s before the drop
  Advance("30s");
  EXPECT_EQ(Observe(token, "oInteracting"), before - 1);
  const json listed = Get("/sim/v1/faults").Json();
  EXPECT_EQ(listed["faults"][0].value("lag", ""), "30s");
  EXPECT_EQ(listed["faults"][0].value("hits", 0), 2);
}

TEST_F(FaultsTest, EachTimingKindNeedsItsDurationAndOnlyIt) {
  EXPECT_NE(AddFault({{"kind", "latency"}}).body.find("delay"), std::string::npos);
  EXPECT_NE(AddFault({{"kind", "staleReads"}}).body.find("lag"), std::string::npos);
  const Response wrong = AddFault({{"kind", "reset"}, {"delay", "5s"}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("only a \\\"latency\\\" fault has a delay"), std::string::npos) << wrong.body;
  EXPECT_EQ(AddFault({{"kind", "latency"}, {"delay", "0s"}}).status, 400);
}

}  // namespace
}  // namespace gcsim::http::testing
