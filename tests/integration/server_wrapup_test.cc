// After-call work and wrap-up over real HTTP: the per-communication drop, the wrap-up call,
// the participant's ACW fields, the wrap-up code listings and the errors.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

const std::string kNoAnswer = "3e0c9b8a-0000-4000-8000-0000000000c1";
const std::string kResolved = "3e0c9b8a-0000-4000-8000-0000000000c2";
const std::string kElsewhere = "3e0c9b8a-0000-4000-8000-0000000000c3";

class WrapupTest : public ServerFixture {
 protected:
  void SetUp() override {
    core::WorldSpec world = core::DemoWorld();
    world.wrapup_codes = {{kNoAnswer, "no-answer"}, {kResolved, "resolved"},
                          {kElsewhere, "elsewhere"}};
    world.queues[0].acw = {.prompt = core::WrapupPrompt::kMandatoryTimeout,
                           .timeout = std::chrono::seconds(30)};
    world.queues[0].wrapup_code_ids = {kNoAnswer, kResolved};
    StartServer(world);
    token_ = Token();
  }
  std::string Base(const std::string& pid = kSupervisorId) {
    return CallParticipantPath(kConversationId, pid);
  }
  std::string Communication(const std::string& pid = kSupervisorId) {
    return Base(pid) + "/communications/" + pid;
  }
  std::string token_;
};

TEST_F(WrapupTest, DropThenWrapupEndsTheLegAndRecordsTheCode) {
  json leg = CallLeg(token_, kSupervisorId);
  EXPECT_EQ(leg["wrapupRequired"], true);
  EXPECT_EQ(leg["wrapupPrompt"], "timeout");
  EXPECT_EQ(leg["wrapupTimeoutMs"], 30000);
  EXPECT_FALSE(leg.contains("startAcwTime"));

  Response response = SendJson("PATCH", Communication(), R"({"state":"disconnected"})", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json(), json::object());
  Advance("1s");
  leg = CallLeg(token_, kSupervisorId);
  EXPECT_EQ(leg["state"], "disconnected");
  EXPECT_EQ(leg["startAcwTime"], "2026-01-01T09:00:00.250Z");
  EXPECT_FALSE(leg.contains("endAcwTime"));

  response = SendJson("POST", Communication() + "/wrapup",
                      json{{"code", kNoAnswer}, {"notes", "idle"}}.dump(), token_);
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_TRUE(response.body.empty());

  leg = CallLeg(token_, kSupervisorId);
  EXPECT_EQ(leg["endAcwTime"], "2026-01-01T09:00:01.000Z");
  EXPECT_EQ(leg["wrapup"]["code"], kNoAnswer);
  EXPECT_EQ(leg["wrapup"]["name"], "no-answer");
  const json conversation = Get("/api/v2/conversations/" + kConversationId, token_).Json();
  EXPECT_EQ(conversation["participants"][2]["wrapup"]["code"], kNoAnswer);
  EXPECT_EQ(conversation["participants"][2]["endAcwTime"], "2026-01-01T09:00:01.000Z");

  response = Get(Base() + "/wrapup", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["code"], kNoAnswer);
  EXPECT_EQ(response.Json()["notes"], "idle");
  EXPECT_EQ(response.Json()["durationSeconds"], 0);
}

TEST_F(WrapupTest, WithoutAWrapupTheTimeoutAppliesTheDefaultCode) {
  ASSERT_EQ(SendJson("PATCH", Base(), R"({"state":"disconnected"})", token_).status, 202);
  EXPECT_EQ(Get(Base() + "/wrapup", token_).Json(), json::object());
  Advance("30s");
  EXPECT_FALSE(CallLeg(token_, kSupervisorId).contains("endAcwTime"));  // 29.75s into ACW
  Advance("1s");
  const json leg = CallLeg(token_, kSupervisorId);
  EXPECT_EQ(leg["wrapup"]["code"], "ININ-WRAP-UP-TIMEOUT");
  EXPECT_EQ(leg["endAcwTime"], "2026-01-01T09:00:30.250Z");
}

TEST_F(WrapupTest, WrapupErrorsNameWhatIsWrong) {
  ASSERT_EQ(SendJson("PATCH", Base(), R"({"state":"disconnected"})", token_).status, 202);
  Advance("1s");
  Response response = SendJson("POST", Communication() + "/wrapup", R"({"notes":"x"})", token_);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Json()["code"], "conversation.error.wrapup.code.required");

  response = SendJson("POST", Communication() + "/wrapup", R"({"code":"no-answer"})", token_);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Json()["code"], "invalid.value");
  EXPECT_NE(response.Json()["message"].get<std::string>().find("[no-answer]"), std::string::npos);

  response = SendJson("PATCH", Base(), R"({"wrapupSkipped":true})", token_);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Json()["code"], "conversation.error.wrapup.cannot.skip");

  response = SendJson("PATCH", Base(), json{{"wrapup", {{"code", kElsewhere}}}}.dump(), token_);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Json()["code"], "invalid.value");
  EXPECT_FALSE(CallLeg(token_, kSupervisorId).contains("wrapup"));

  // A communication that is not the participant's call, and a body without a state.
  response = SendJson("PATCH", Base() + "/communications/" + kAgentId, R"({"state":"disconnected"})",
                      token_);
  EXPECT_EQ(response.status, 404);
  response = SendJson("PATCH", Communication(kAgentId), R"({"muted":true})", token_);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Json()["code"], "communication.state.required");
}

TEST_F(WrapupTest, TheCommunicationPatchDoesNotUpdateWrapup) {
  const Response response = SendJson(
      "PATCH", Communication(),
      json{{"state", "disconnected"}, {"wrapup", {{"code", kNoAnswer}}}}.dump(), token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("X-Gcsim-Ignored-Fields"), "wrapup");
  Advance("1s");
  const json leg = CallLeg(token_, kSupervisorId);
  EXPECT_EQ(leg["state"], "disconnected");
  EXPECT_FALSE(leg.contains("wrapup"));
  EXPECT_TRUE(leg.contains("startAcwTime"));
}

TEST_F(WrapupTest, WrapupCodeListings) {
  Response response = Get("/api/v2/routing/wrapupcodes?pageSize=2", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  json listing = response.Json();
  EXPECT_EQ(listing["total"], 3);
  EXPECT_EQ(listing["pageCount"], 2);
  ASSERT_EQ(listing["entities"].size(), 2u);
  EXPECT_EQ(listing["entities"][0]["id"], kNoAnswer);
  EXPECT_EQ(listing["entities"][0]["name"], "no-answer");
  EXPECT_EQ(listing["nextUri"], "/api/v2/routing/wrapupcodes?pageSize=2&pageNumber=2");

  response = Get("/api/v2/routing/queues/" + kQueueId + "/wrapupcodes", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  listing = response.Json();
  EXPECT_EQ(listing["total"], 2);
  EXPECT_EQ(listing["entities"][1]["id"], kResolved);

  EXPECT_EQ(Get("/api/v2/routing/queues/" + kNoAnswer + "/wrapupcodes", token_).status, 404);

  response = Get(Base() + "/wrapupcodes", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_EQ(response.Json().size(), 2u);
  EXPECT_EQ(response.Json()[0]["name"], "no-answer");
  EXPECT_EQ(Get(Base(kCustomerId) + "/wrapupcodes", token_).Json(), json::array());
}

TEST_F(WrapupTest, TheSeedBodyIsJournaledWithTheWrapupCall) {
  const Response response = SendJson("PATCH", Base(), kSeedBody, token_);
  EXPECT_EQ(response.status, 204);
  const json entries = Journal();
  ASSERT_FALSE(entries.empty());
  const std::string hint = entries.back().value("hint", "");
  EXPECT_NE(hint.find("POST " + Communication() + "/wrapup"), std::string::npos) << hint;
  EXPECT_NE(hint.find("state"), std::string::npos) << hint;
}

}  // namespace
}  // namespace gcsim::http::testing
