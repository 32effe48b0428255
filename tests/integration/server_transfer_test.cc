// Transfers over real HTTP: a blind transfer (replace), a consult and its speakTo, cancel and
// merge; a supervisor's leg leaving with the leg it monitors; operations gcsim does not model.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

const std::string kAgentUser(core::kDemoAgentUserId);
const std::string kSupervisorUser(core::kDemoSupervisorUserId);

class TransferTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    token_ = AgentToken();  // the agent's user context: it consults
  }

  std::string Path(const std::string& pid, const std::string& what) {
    return CallParticipantPath(kConversationId, pid) + "/" + what;
  }

  std::string token_;
};

TEST_F(TransferTest, ReplaceBringsTheTargetInAndTheLegLeavesAsATransfer) {
  Response response = SendJson("POST", Path(kAgentId, "replace"),
                               json{{"userId", kSupervisorUser}, {"userName", "Sam"}}.dump(), token_);
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(CallLeg(token_, kAgentId)["state"], "connected");  // lands after disconnectLatency
  Advance("1s");
  const json agent = CallLeg(token_, kAgentId);
  EXPECT_EQ(agent["state"], "disconnected");
  EXPECT_EQ(agent["disconnectType"], "transfer");
  const json generic = Get("/api/v2/conversations/" + kConversationId, token_).Json();
  ASSERT_EQ(generic["participants"][1]["id"], kAgentId);
  EXPECT_EQ(generic["participants"][1]["calls"][0]["disconnectReasons"][0]["code"], 16);
  EXPECT_FALSE(generic["participants"][0]["calls"][0].contains("disconnectReasons"));
  EXPECT_EQ(generic["participants"][0]["ani"], "tel:+13175550123") << "the customer called in";
  const json call = Get("/api/v2/conversations/calls/" + kConversationId, token_).Json();
  const json& target = call["participants"].back();
  EXPECT_EQ(target["user"]["id"], kSupervisorUser);
  EXPECT_EQ(target["state"], "connected");
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, token_).Json()["state"], "connected")
      << "the conversation goes on";
}

TEST_F(TransferTest, ReplaceRefusesWhatItCannotDo) {
  const json before = State();
  Response response = SendJson("POST", Path(kAgentId, "replace"), R"({"voicemail":false})", token_);
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_NE(response.Json().value("message", "").find("userId or queueId"), std::string::npos)
      << response.body;
  response = SendJson("POST", Path(kAgentId, "replace"), R"({"userId":"no-such-user"})", token_);
  EXPECT_EQ(response.status, 400) << response.body;
  response = SendJson("POST", Path("00000000-0000-4000-8000-000000000000", "replace"),
                      R"({"address":"+13175550100"})", token_);
  EXPECT_EQ(response.status, 404) << response.body;
  EXPECT_EQ(State(), before) << "a refused transfer changes nothing";
}

TEST_F(TransferTest, ConsultConfinesWhoeverTheAgentIsNotSpeakingTo) {
  // The customer is the object; the agent (the token's user) consults an outside number.
  Response response = SendJson("POST", Path(kCustomerId, "consult"),
                               R"({"speakTo":"DESTINATION","destination":{"address":"+13175550199"}})",
                               token_);
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string destination = response.Json().value("destinationParticipantId", "");
  ASSERT_FALSE(destination.empty()) << response.body;
  EXPECT_TRUE(CallLeg(token_, kCustomerId)["confined"]);
  EXPECT_EQ(CallLeg(token_, kCustomerId)["consultParticipantId"], destination);
  EXPECT_FALSE(CallLeg(token_, destination)["confined"]);
  EXPECT_EQ(CallLeg(token_, destination)["dnis"], "+13175550199") << "an outside number called";
  EXPECT_FALSE(CallLeg(token_, kAgentId)["confined"]);

  response = SendJson("PATCH", Path(kCustomerId, "consult"), R"({"speakTo":"OBJECT"})", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["destinationParticipantId"], destination);
  EXPECT_FALSE(CallLeg(token_, kCustomerId)["confined"]);
  EXPECT_TRUE(CallLeg(token_, destination)["confined"]);

  response = SendJson("PATCH", Path(kCustomerId, "consult"), R"({"speakTo":"CONFERENCE"})", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_FALSE(CallLeg(token_, kCustomerId)["confined"]);
  EXPECT_FALSE(CallLeg(token_, destination)["confined"]);
  // Merged: there is no consult left to change.
  response = SendJson("PATCH", Path(kCustomerId, "consult"), R"({"speakTo":"BOTH"})", token_);
  EXPECT_EQ(response.status, 400) << response.body;
}

TEST_F(TransferTest, CancellingAConsultDropsTheDestination) {
  Response response = SendJson("POST", Path(kCustomerId, "consult"),
                               R"({"destination":{"userId":")" + kSupervisorUser + R"("}})", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string destination = response.Json().value("destinationParticipantId", "");
  EXPECT_TRUE(CallLeg(token_, kCustomerId)["confined"]) << "speakTo defaults to DESTINATION";
  response = Send("DELETE", Path(kCustomerId, "consult"), "", Auth(token_));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_FALSE(CallLeg(token_, kCustomerId)["confined"]);
  EXPECT_FALSE(CallLeg(token_, kCustomerId).contains("consultParticipantId"));
  Advance("1s");
  EXPECT_EQ(CallLeg(token_, destination)["state"], "disconnected");
  EXPECT_EQ(CallLeg(token_, kCustomerId)["state"], "connected");
}

// A transfer and a cancelled consult end legs on purpose: neither is a drop request, so the
// journal and the metrics count neither as a drop (nor, of a talking leg, as an early one).
TEST_F(TransferTest, ATransferAndACancelledConsultAreNoDrops) {
  ASSERT_EQ(
      SendJson("POST", Path(kAgentId, "replace"), json{{"userId", kSupervisorUser}}.dump(), token_)
          .status,
      202);
  const std::string consult = CallParticipantPath(kConversationId, kCustomerId) + "/consult";
  ASSERT_EQ(
      SendJson("POST", consult, R"({"destination":{"address":"+13175550199"}})", token_).status,
      200);
  ASSERT_EQ(Send("DELETE", consult, "", Auth(token_)).status, 200);
  Advance("1s");
  int checked = 0;
  for (const json& entry : Journal()) {
    const std::string path = entry.value("path", "");
    if (!path.ends_with("/replace") && !path.ends_with("/consult")) continue;
    ++checked;
    EXPECT_FALSE(entry.contains("dropSilentSince")) << entry.dump();
  }
  EXPECT_EQ(checked, 3);
  const std::string metrics = Get("/sim/v1/metrics").body;
  const std::string drops = "gcsim_drops_total{client=\"demo-agent-app\"} ";
  const size_t line = metrics.find(drops);
  if (line != std::string::npos) {
    EXPECT_EQ(metrics.substr(line + drops.size(), 2), "0\n") << metrics;
  }
}

TEST_F(TransferTest, TheAgentLeavingCompletesTheConsult) {
  Response response = SendJson("POST", Path(kCustomerId, "consult"),
                               R"({"destination":{"address":"+13175550199"}})", token_);
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string destination = response.Json().value("destinationParticipantId", "");
  response = SendJson("PATCH", CallParticipantPath(kConversationId, kAgentId),
                      R"({"state":"disconnected"})", token_);
  ASSERT_EQ(response.status, 202) << response.body;
  Advance("1s");
  EXPECT_FALSE(CallLeg(token_, kCustomerId)["confined"]) << "customer and destination now talk";
  EXPECT_EQ(CallLeg(token_, destination)["state"], "connected");
  response = Send("DELETE", Path(kCustomerId, "consult"), "", Auth(token_));
  EXPECT_EQ(response.status, 400) << "the consult is over: " << response.body;
}

TEST_F(TransferTest, ConsultRefusals) {
  // Client credentials carry no user: the consulting user must be named.
  Response response = SendJson("POST", Path(kCustomerId, "consult"),
                               R"({"destination":{"address":"+13175550199"}})", Token());
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_NE(response.body.find("consultingUserId"), std::string::npos) << response.body;
  response = SendJson("POST", Path(kCustomerId, "consult"),
                      R"({"speakTo":"SIDEWAYS","destination":{"address":"+1"}})", token_);
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_NE(response.body.find("SIDEWAYS"), std::string::npos) << response.body;
  response = SendJson("POST", Path(kCustomerId, "consult"), R"({"speakTo":"BOTH"})", token_);
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_NE(response.body.find("destination"), std::string::npos) << response.body;
  response = SendJson("PATCH", Path(kCustomerId, "consult"), R"({"speakTo":"BOTH"})", token_);
  EXPECT_EQ(response.status, 400) << "no consult in progress: " << response.body;
  response = SendJson("POST", Path(kCustomerId, "consult"),
                      json{{"consultingUserId", kAgentUser},
                           {"destination", {{"address", "+13175550199"}}}}
                          .dump(),
                      Token());
  EXPECT_EQ(response.status, 200) << "a named consulting user works without one: " << response.body;
  response = SendJson("POST", Path(kCustomerId, "consult"),
                      R"({"destination":{"address":"+13175550198"}})", token_);
  EXPECT_EQ(response.status, 400) << "one consult at a time: " << response.body;
}

TEST_F(TransferTest, OperationsGcsimDoesNotModelSaySo) {
  Response response = Send("DELETE", "/api/v2/conversations/" + kConversationId, "", Auth(token_));
  EXPECT_EQ(response.status, 501) << response.body;
  EXPECT_NE(response.Json().value("message", "").find("gcsim does not model"), std::string::npos);
  response = SendJson("PATCH", "/api/v2/conversations/calls/" + kConversationId + "/conference",
                      R"({"requestType":"PARTICIPANT_TRANSFER"})", token_);
  EXPECT_EQ(response.status, 501) << response.body;
  EXPECT_EQ(CallLeg(token_, kAgentId)["state"], "connected");
}

// A supervisor monitoring the agent: the agent's leg ends, the monitor's leg goes with it
// (monitorsEndWithMonitored, on by default), and stays when the world turns it off.
class MonitorTest : public ServerFixture {
 protected:
  core::WorldSpec MonitoredWorld(bool end_with_monitored) {
    core::WorldSpec world = core::DemoWorld();
    world.monitors_end_with_monitored = end_with_monitored;
    for (core::LegSpec& leg : world.conversations[0].legs) {
      if (leg.id == kSupervisorId) leg.monitored_participant_id = kAgentId;
    }
    return world;
  }
  void DropAgent() {
    const Response response = SendJson("PATCH", CallParticipantPath(kConversationId, kAgentId),
                                       R"({"state":"disconnected"})", Token());
    ASSERT_EQ(response.status, 202) << response.body;
    Advance("1s");
  }
};

TEST_F(MonitorTest, TheMonitorLeavesWithTheLegItMonitors) {
  StartServer(MonitoredWorld(true));
  DropAgent();
  const std::string token = Token();
  const json supervisor = CallLeg(token, kSupervisorId);
  EXPECT_NE(supervisor["state"], "connected") << supervisor.dump();
  EXPECT_EQ(supervisor["disconnectType"], "peer");
  // The customer is left alone: the conversation ends.
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, token).Json()["state"], "terminated");
}

// The conference's other people leave one by one; the world decides whether the last stays.
TEST_F(MonitorTest, TheWorldCanKeepAConferencesLastParty) {
  for (const bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "kept" : "ended");
    core::WorldSpec world = core::DemoWorld();
    world.last_party_keeps_conference = keep;
    StartServer(world);
    const std::string token = Token();
    for (const std::string& pid : {kAgentId, kSupervisorId}) {
      ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, pid),
                         R"({"state":"disconnected"})", AgentToken())
                    .status,
                202);
      Advance("1s");
    }
    EXPECT_EQ(CallLeg(token, kCustomerId)["state"], keep ? "connected" : "terminated");
    EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, token).Json()["state"],
              keep ? "connected" : "terminated");
  }
}

TEST_F(MonitorTest, TheWorldCanKeepTheMonitor) {
  StartServer(MonitoredWorld(false));
  DropAgent();
  EXPECT_EQ(CallLeg(Token(), kSupervisorId)["state"], "connected");
}

}  // namespace
}  // namespace gcsim::http::testing
