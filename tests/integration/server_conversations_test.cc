// Reading and changing conversations through the Genesys routes.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class ConversationsTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    token_ = Token();
  }
  std::string token_;
};

TEST_F(ConversationsTest, GetConversation) {
  const Response response = Get("/api/v2/conversations/" + kConversationId, token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_NE(response.Header("Content-Type").find("application/json"), std::string::npos);
  const json conversation = response.Json();
  EXPECT_EQ(conversation["id"], kConversationId);
  EXPECT_EQ(conversation["name"], "Support bridge");
  EXPECT_EQ(conversation["startTime"], "2026-01-01T09:00:00.000Z");
  EXPECT_FALSE(conversation.contains("endTime"));
  EXPECT_EQ(conversation["state"], "connected");
  EXPECT_EQ(conversation["recordingState"], "NONE");  // Conversation's enum; CallConversation's is lower case
  EXPECT_EQ(conversation["maxParticipants"], 10);
  EXPECT_EQ(conversation["divisions"], json::array());
  EXPECT_EQ(conversation["selfUri"], "/api/v2/conversations/" + kConversationId);
  ASSERT_EQ(conversation["participants"].size(), 3u);

  const json& agent = conversation["participants"][1];
  EXPECT_EQ(agent["id"], kAgentId);
  EXPECT_EQ(agent["name"], "Avery Agent");
  EXPECT_EQ(agent["purpose"], "agent");
  EXPECT_EQ(agent["userId"], core::kDemoAgentUserId);
  EXPECT_EQ(agent["queueId"], kQueueId);
  EXPECT_EQ(agent["address"], "sip:avery@example.com");
  EXPECT_EQ(agent["wrapupRequired"], false);
  EXPECT_EQ(agent["attributes"], json::object());
  EXPECT_EQ(agent["connectedTime"], "2026-01-01T09:00:00.000Z");
  EXPECT_FALSE(agent.contains("endTime"));
  EXPECT_FALSE(agent.contains("wrapup"));
  ASSERT_EQ(agent["calls"].size(), 1u);
  const json& call = agent["calls"][0];
  EXPECT_EQ(call["state"], "connected");
  EXPECT_EQ(call["direction"], "inbound");
  EXPECT_EQ(call["held"], false);
  EXPECT_EQ(call["muted"], false);
  EXPECT_EQ(call["confined"], false);
  EXPECT_EQ(call["recording"], false);
  EXPECT_FALSE(call.contains("disconnectType"));
  EXPECT_EQ(call["segments"][0]["type"], "interact");

  const json& supervisor = conversation["participants"][2];
  EXPECT_EQ(supervisor["bargedParticipantId"], kAgentId);
  EXPECT_FALSE(supervisor.contains("monitoredParticipantId"));
}

TEST_F(ConversationsTest, GetCallConversation) {
  const json conversation = Get("/api/v2/conversations/calls/" + kConversationId, token_).Json();
  EXPECT_EQ(conversation["id"], kConversationId);
  EXPECT_EQ(conversation["maxParticipants"], 10);
  EXPECT_EQ(conversation["recordingState"], "none");
  EXPECT_EQ(conversation["selfUri"], "/api/v2/conversations/calls/" + kConversationId);
  const json& agent = conversation["participants"][1];
  EXPECT_EQ(agent["state"], "connected");
  EXPECT_EQ(agent["startTime"], "2026-01-01T09:00:00.000Z");
  EXPECT_EQ(agent["user"],
            json({{"id", core::kDemoAgentUserId},
                  {"name", "Avery Agent"},
                  {"selfUri", "/api/v2/users/" + std::string(core::kDemoAgentUserId)}}));
  EXPECT_EQ(agent["queue"]["name"], "Support");
  EXPECT_EQ(agent["queue"]["selfUri"], "/api/v2/routing/queues/" + kQueueId);
  const json& customer = conversation["participants"][0];
  EXPECT_FALSE(customer.contains("user"));
  EXPECT_FALSE(customer.contains("queue"));
  EXPECT_EQ(customer["address"], "tel:+13175550123");
}

TEST_F(ConversationsTest, ListCallsNeedsAUserAndPages) {
  const Response refused = Get("/api/v2/conversations/calls", token_);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.Json()["code"], "not.a.user");

  const std::string agent = AgentToken();
  const json listing = Get("/api/v2/conversations/calls", agent).Json();
  EXPECT_EQ(listing["total"], 1);
  EXPECT_EQ(listing["pageSize"], 25);
  EXPECT_EQ(listing["pageNumber"], 1);
  EXPECT_EQ(listing["pageCount"], 1);
  EXPECT_EQ(listing["selfUri"], "/api/v2/conversations/calls?pageSize=25&pageNumber=1");
  EXPECT_EQ(listing["firstUri"], listing["selfUri"]);
  EXPECT_EQ(listing["lastUri"], listing["selfUri"]);
  EXPECT_FALSE(listing.contains("nextUri"));
  ASSERT_EQ(listing["entities"].size(), 1u);
  EXPECT_EQ(listing["entities"][0]["id"], kConversationId);

  // A second call for the agent, then page through both.
  const Response created =
      SendJson("POST", "/api/v2/conversations/calls", R"({"phoneNumber":"+13175550199"})", agent);
  ASSERT_EQ(created.status, 200) << created.body;
  const json first = Get("/api/v2/conversations/calls?pageSize=1", agent).Json();
  EXPECT_EQ(first["total"], 2);
  EXPECT_EQ(first["pageCount"], 2);
  EXPECT_EQ(first["entities"][0]["id"], kConversationId);
  EXPECT_EQ(first["nextUri"], "/api/v2/conversations/calls?pageSize=1&pageNumber=2");
  const json second = Get("/api/v2/conversations/calls?pageSize=1&pageNumber=2", agent).Json();
  EXPECT_EQ(second["entities"][0]["id"], created.Json()["id"]);
  EXPECT_EQ(second["previousUri"], "/api/v2/conversations/calls?pageSize=1&pageNumber=1");
  EXPECT_EQ(Get("/api/v2/conversations/calls?pageSize=101", agent).status, 400);
}

TEST_F(ConversationsTest, CreateCallAndAddParticipants) {
  const std::string agent = AgentToken();
  const Response created =
      SendJson("POST", "/api/v2/conversations/calls", R"({"phoneNumber":"+13175550199"})", agent);
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = created.Json()["id"];
  EXPECT_TRUE(IsUuid(id));
  EXPECT_EQ(created.Json()["selfUri"], "/api/v2/conversations/" + id);
  const json call = Get("/api/v2/conversations/calls/" + id, agent).Json();
  ASSERT_EQ(call["participants"].size(), 2u);
  EXPECT_EQ(call["participants"][0]["user"]["id"], core::kDemoAgentUserId);
  EXPECT_EQ(call["participants"][1]["address"], "tel:+13175550199");

  const Response added =
      SendJson("POST", "/api/v2/conversations/calls/" + id + "/participants",
               R"({"participants":[{"address":"tel:+13175550111","name":"Expert"}]})", agent);
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.Json()["id"], id);
  ASSERT_EQ(added.Json()["participants"].size(), 3u);
  EXPECT_EQ(added.Json()["participants"][2]["name"], "Expert");

  const Response empty = SendJson("POST", "/api/v2/conversations/calls", R"({})", agent);
  EXPECT_EQ(empty.status, 400);
  const Response unknown_user =
      SendJson("POST", "/api/v2/conversations/calls",
               R"({"callUserId":"00000000-0000-4000-8000-000000000000"})", agent);
  EXPECT_EQ(unknown_user.status, 400);
  EXPECT_EQ(unknown_user.Json()["code"], "invalid.value");

  bool journaled = false;
  for (const json& entry : Journal()) {
    journaled |= entry.value("path", "") == "/api/v2/conversations/calls" &&
                 entry.value("conversationId", "") == id;
  }
  EXPECT_TRUE(journaled);
}

TEST_F(ConversationsTest, PatchConversationEndsEveryLeg) {
  const std::string path = "/api/v2/conversations/calls/" + kConversationId;
  const Response response =
      SendJson("PATCH", path, R"({"state":"disconnected","reason":"done"})", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("X-Gcsim-Ignored-Fields"), "reason");
  EXPECT_EQ(response.Json()["id"], kConversationId);
  // A Conversation, as the operation's model declares: the state is on the leg's call.
  EXPECT_EQ(response.Json()["participants"][0]["calls"][0]["state"], "connected")
      << "lands after the latency";
  Advance("250ms");
  const json after = Get(path, token_).Json();
  for (const json& participant : after["participants"]) {
    EXPECT_EQ(participant["state"], "terminated");
  }
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, token_).Json()["endTime"],
            "2026-01-01T09:00:00.250Z");
  const Response again = SendJson("PATCH", path, R"({"state":"disconnected"})", token_);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.Json()["code"], "conversation.error.call.disconnected");
  EXPECT_EQ(SendJson("PATCH", path, R"({"state":"gone"})", token_).Json()["code"], "invalid.value");
}

TEST_F(ConversationsTest, DisconnectTearsTheConversationDown) {
  const std::string path = "/api/v2/conversations/" + kConversationId + "/disconnect";
  const Response response = Send("POST", path, "", Auth(token_));
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(response.body, "");
  Advance("250ms");
  EXPECT_TRUE(Get("/api/v2/conversations/" + kConversationId, token_).Json().contains("endTime"));
  EXPECT_EQ(Media(kCustomerId)["flowing"], false);
  EXPECT_EQ(Send("POST", path, "", Auth(token_)).status, 400);
  EXPECT_EQ(Send("POST", "/api/v2/conversations/00000000-0000-4000-8000-000000000000/disconnect",
                 "", Auth(token_))
                .status,
            404);
}

TEST_F(ConversationsTest, ParticipantFlagsAndTheLastPersonLeaving) {
  const std::string customer = GenericParticipantPath(kConversationId, kCustomerId);
  EXPECT_EQ(SendJson("PATCH", customer, R"({"held":true})", token_).status, 202);
  EXPECT_EQ(CallLeg(token_, kCustomerId)["held"], true);
  EXPECT_EQ(SendJson("PATCH", customer, R"({"held":true})", token_).status, 204)
      << "nothing changed";

  // Agent and supervisor leave: fewer than two people, the conversation ends.
  EXPECT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token_)
                .status,
            202);
  EXPECT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kAgentId),
                     R"({"state":"disconnected"})", token_)
                .status,
            202);
  Advance("1s");
  const json conversation = Get("/api/v2/conversations/" + kConversationId, token_).Json();
  EXPECT_TRUE(conversation.contains("endTime"));
  EXPECT_EQ(conversation["participants"][0]["calls"][0]["state"], "terminated");
}

}  // namespace
}  // namespace gcsim::http::testing
