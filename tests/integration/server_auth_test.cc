// OAuth tokens, bearer authentication and per-client rate budgets.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class AuthTest : public ServerFixture {
 protected:
  Response TokenRequest(const std::string& body, httplib::Headers headers = {}) {
    headers.emplace("Content-Type", "application/x-www-form-urlencoded");
    return Send("POST", "/oauth/token", body, headers);
  }

  static void ExpectOAuthError(const Response& response, int status, const std::string& error) {
    EXPECT_EQ(response.status, status) << response.body;
    const json body = response.Json();
    EXPECT_EQ(body["error"], error);
    EXPECT_TRUE(body["description"].is_string());
    EXPECT_EQ(body["error_description"], body["description"]);
  }

  const std::string conversation_path_ = "/api/v2/conversations/" + kConversationId;
};

TEST_F(AuthTest, TokenWithBasicAuth) {
  const Response response =
      TokenRequest("grant_type=client_credentials",
                   {httplib::make_basic_authentication_header("demo-client", "demo-secret")});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_NE(response.Header("Content-Type").find("application/json"), std::string::npos);
  const json body = response.Json();
  EXPECT_EQ(body["token_type"], "bearer");
  EXPECT_EQ(body["expires_in"], 86400);
  EXPECT_EQ(Get(conversation_path_, body["access_token"]).status, 200);
}

TEST_F(AuthTest, TokenWithFormCredentials) {
  const Response response =
      TokenRequest("grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Get(conversation_path_, response.Json()["access_token"]).status, 200);
}

TEST_F(AuthTest, TokenFailuresUseTheOAuthShape) {
  ExpectOAuthError(
      TokenRequest("grant_type=client_credentials",
                   {httplib::make_basic_authentication_header("demo-client", "wrong")}),
      401, "invalid_client");
  ExpectOAuthError(TokenRequest("grant_type=client_credentials"), 401, "invalid_client");
  ExpectOAuthError(TokenRequest("grant_type=password", {httplib::make_basic_authentication_header(
                                                           "demo-client", "demo-secret")}),
                   400, "unsupported_grant_type");
  ExpectOAuthError(
      TokenRequest("", {httplib::make_basic_authentication_header("demo-client", "demo-secret")}),
      400, "invalid_request");
  ExpectOAuthError(Send("POST", "/oauth/token", R"({"grant_type":"client_credentials"})",
                        {{"Content-Type", "application/json"},
                         httplib::make_basic_authentication_header("demo-client", "demo-secret")}),
                   400, "invalid_request");
}

TEST_F(AuthTest, MissingOrBadBearerToken) {
  const Response missing = Get(conversation_path_);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.Json()["code"], "authentication.required");
  EXPECT_EQ(missing.Json()["contextId"], missing.Header("ININ-Correlation-Id"));

  const Response basic = Send("GET", conversation_path_, "", {{"Authorization", "Basic abc"}});
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(basic.Json()["code"], "authentication.required");

  const Response unknown = Get(conversation_path_, "gcsim-not-a-token");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.Json()["code"], "bad.credentials");
  EXPECT_EQ(unknown.Json()["status"], 401);
}

TEST_F(AuthTest, TokenExpiresOnTheManualClock) {
  core::WorldSpec world = core::DemoWorld();
  world.oauth_clients.push_back(
      {.id = "short", .secret = "lived", .token_lifetime = std::chrono::minutes(5)});
  StartServer(world);
  const Response granted =
      TokenRequest("grant_type=client_credentials",
                   {httplib::make_basic_authentication_header("short", "lived")});
  ASSERT_EQ(granted.status, 200);
  EXPECT_EQ(granted.Json()["expires_in"], 300);
  const std::string token = granted.Json()["access_token"];

  Advance("4m59s");
  EXPECT_EQ(Get(conversation_path_, token).status, 200);
  Advance("1s");
  const Response expired = Get(conversation_path_, token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.Json()["code"], "bad.credentials");
}

TEST_F(AuthTest, RateLimitFromTheWorld) {
  core::WorldSpec world = core::DemoWorld();
  world.rate_limit = 5;
  StartServer(world);
  const std::string token = Token();
  for (int i = 1; i <= 5; ++i) {
    const Response ok = Get(conversation_path_, token);
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(ok.Header("inin-ratelimit-count"), std::to_string(i));
    EXPECT_EQ(ok.Header("inin-ratelimit-allowed"), "5");
    EXPECT_EQ(ok.Header("inin-ratelimit-reset"), "60");
  }
  Advance("15s");
  const Response limited = Get(conversation_path_, token);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("Retry-After"), "45");
  EXPECT_EQ(limited.Header("inin-ratelimit-count"), "6");
  EXPECT_EQ(limited.Header("inin-ratelimit-allowed"), "5");
  EXPECT_EQ(limited.Header("inin-ratelimit-reset"), "45");
  const std::string id = limited.Header("ININ-Correlation-Id");
  EXPECT_EQ(
      limited.Json(),
      json::parse(
          R"({"message":"Rate limit exceeded the maximum. Retry the request in [45] seconds",)"
          R"("code":"too.many.requests.retry.after","status":429,"contextId":")" +
          id + R"(","details":[],"errors":[]})"));

  // A refused request changes nothing, even when it would have.
  EXPECT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token)
                .status,
            429);
  Advance("45s");
  const Response again = Get(conversation_path_, token);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.Header("inin-ratelimit-count"), "1");
  EXPECT_EQ(CallLeg(token, kSupervisorId)["state"], "connected");
}

TEST_F(AuthTest, RateLimitFlagOverridesTheWorld) {
  StartServer(core::DemoWorld(), {.rate_limit = 2});
  const std::string token = Token();
  EXPECT_EQ(Get(conversation_path_, token).status, 200);
  EXPECT_EQ(Get(conversation_path_, token).status, 200);
  EXPECT_EQ(Get(conversation_path_, token).status, 429);
  // Budgets are per client.
  EXPECT_EQ(Get(conversation_path_, AgentToken()).status, 200);
}

TEST_F(AuthTest, UnlimitedBudgetNeverLimits) {
  StartServer(core::DemoWorld(), {.rate_limit = 0});
  const std::string token = Token();
  for (int i = 0; i < 400; ++i) ASSERT_EQ(Get(conversation_path_, token).status, 200);
  EXPECT_EQ(Get(conversation_path_, token).Header("inin-ratelimit-allowed"), "0");
}

TEST_F(AuthTest, UnchargedRequestsShowTheDefaultBudget) {
  for (const Response& response : {Get("/sim/v1/health"), Get(conversation_path_)}) {
    EXPECT_EQ(response.Header("inin-ratelimit-count"), "0");
    EXPECT_EQ(response.Header("inin-ratelimit-allowed"), "300");
    EXPECT_EQ(response.Header("inin-ratelimit-reset"), "60");
    EXPECT_TRUE(IsUuid(response.Header("ININ-Correlation-Id")));
  }
}

}  // namespace
}  // namespace gcsim::http::testing
