#include "gcsim/core/world.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace gcsim::core {
namespace {

using nlohmann::json;

std::string ErrorOf(const json& world) {
  auto parsed = ParseWorld(world, "/world");
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(ParseWorldTest, ReadsAFullWorld) {
  const json world = json::parse(R"({
    "profile": "strict", "disconnectLatency": "1s", "rateLimit": 0,
    "users": [{"id": "7c1d2e3f-0000-4000-8000-0000000000b1", "name": "Avery"}],
    "queues": [{"id": "7c1d2e3f-0000-4000-8000-0000000000a1", "name": "Support"}],
    "oauthClients": [{"clientId": "c", "clientSecret": "s", "tokenLifetime": "5m", "rateLimit": 10}],
    "conversations": [{"name": "bridge", "participants": [
      {"purpose": "customer", "speech": {"every": "30s", "for": "10s"}},
      {"purpose": "agent", "userId": "7c1d2e3f-0000-4000-8000-0000000000b1", "muted": true},
      {"purpose": "user", "state": "alerting", "speech": "never"}]}],
    "generate": [{"bridges": 3, "purposes": ["customer", "agent"], "silentFraction": 0.5}]
  })");
  auto parsed = ParseWorld(world);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->profile, Profile::kStrict);
  EXPECT_EQ(parsed->disconnect_latency, std::chrono::seconds(1));
  EXPECT_EQ(parsed->rate_limit, 0);
  EXPECT_EQ(parsed->oauth_clients[0].token_lifetime, std::chrono::minutes(5));
  EXPECT_EQ(parsed->oauth_clients[0].rate_limit, 10);
  ASSERT_EQ(parsed->conversations[0].legs.size(), 3u);
  EXPECT_TRUE(parsed->conversations[0].legs[1].muted);
  EXPECT_EQ(parsed->conversations[0].legs[2].state, LegState::kAlerting);
  EXPECT_EQ(parsed->generated[0].bridges, 3);
}

TEST(ParseWorldTest, ErrorsNameTheJsonPointerAndTheProblem) {
  EXPECT_EQ(ErrorOf({{"conversations", {{{"participants", {{{"purpose", "boss"}}}}}}}}),
            "/world/conversations/0/participants/0/purpose: unknown purpose \"boss\" (expected "
            "customer, agent, user, external, acd or ivr)");
  EXPECT_EQ(ErrorOf({{"disconectLatency", "1s"}}), "/world/disconectLatency: unknown field \"disconectLatency\"");
  EXPECT_NE(ErrorOf({{"disconnectLatency", "soon"}}).find("/world/disconnectLatency: bad duration"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"conversations", {{{"id", "abc"}, {"participants", {{{"purpose", "agent"}}}}}}}})
                .find("/world/conversations/0/id: \"abc\" is not a UUID"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"oauthClients", {{{"clientId", "c"}}}}}).find("missing required field \"clientSecret\""),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"conversations", {{{"participants", json::array()}}}}}).find("at least one leg"),
            std::string::npos);
  EXPECT_NE(ErrorOf(json::array()).find("expected an object"), std::string::npos);
  EXPECT_NE(ErrorOf({{"profile", "lenient"}}).find("/world/profile"), std::string::npos);
}

TEST(LoadWorldFileTest, CommentsAllowedAndSyntaxErrorsGiveLineAndColumn) {
  const std::string path = testing::TempDir() + "/world_test.json";
  {
    std::ofstream out(path);
    out << "// a world\n{\n  \"profile\": \"documented\" /* why */\n}\n";
  }
  auto world = LoadWorldFile(path);
  ASSERT_TRUE(world.ok()) << world.status().ToString();
  EXPECT_EQ(world->profile, Profile::kDocumented);
  {
    std::ofstream out(path);
    out << "{\n  \"profile\": \"documented\",\n}\n";
  }
  const std::string error = LoadWorldFile(path).status().message();
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_EQ(LoadWorldFile(path + ".missing").status().code(), StatusCode::kNotFound);
  std::remove(path.c_str());
}

TEST(DemoWorldTest, IsTheSeedsSupervisorBridge) {
  const WorldSpec world = DemoWorld();
  ASSERT_EQ(world.conversations.size(), 1u);
  ASSERT_EQ(world.conversations[0].legs.size(), 3u);
  EXPECT_EQ(world.conversations[0].legs[2].id, kDemoSupervisorId);
  EXPECT_EQ(world.oauth_clients.size(), 2u);
}

}  // namespace
}  // namespace gcsim::core
