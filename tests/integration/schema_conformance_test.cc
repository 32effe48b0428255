// Every Genesys route gcsim serves, answered over real HTTP and checked against the published
// models (tests/data/genesys-schema-excerpt.json, a copy of the project's reference excerpt): no
// field the model does not declare, every declared field of the right type, enum values from the
// model's enum, timestamps in ISO-8601. Errors are checked against ErrorBody.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

// The published models: the current SDK's definitions, and the 2018 Swagger document's for
// the models the current excerpt does not carry (User, Queue, RoutingStatus, Wrapup...).
class Models {
 public:
  static const Models& Get() {
    static const Models models(GCSIM_SCHEMA_FILE);
    return models;
  }

  // Where `value` departs from `model`, one line per problem ("/participants/0/ani: ...").
  std::vector<std::string> Check(const json& value, const std::string& model) const {
    std::vector<std::string> problems;
    CheckRef(value, model, "", problems);
    return problems;
  }

  bool Has(const std::string& model) const { return definitions_.contains(model); }

 private:
  explicit Models(const char* path) {
    std::ifstream in(path);
    const json excerpt = json::parse(in);
    definitions_ = excerpt["swagger_2018_03_21"]["definitions"];
    for (const auto& [name, definition] :
         excerpt["current_sdk_257_1_0_derived_definitions"].items()) {
      definitions_[name] = definition;
    }
    // ObservationMetricData refers to this model and the excerpt leaves it out; its fields as
    // the official Python SDK's observation_value.py declares them (those gcsim may send).
    if (!definitions_.contains("ObservationValue")) {
      definitions_["ObservationValue"] = json::parse(R"({"type": "object", "properties": {
          "observationDate": {"type": "string", "format": "date-time"},
          "conversationId": {"type": "string"}, "sessionId": {"type": "string"},
          "participantName": {"type": "string"}, "userId": {"type": "string"},
          "direction": {"type": "string", "enum": ["inbound", "outbound"]},
          "ani": {"type": "string"}, "dnis": {"type": "string"}}})");
    }
  }

  void CheckRef(const json& value, const std::string& model, const std::string& where,
                std::vector<std::string>& problems) const {
    if (!definitions_.contains(model)) {
      problems.push_back(where + ": no published model " + model);
      return;
    }
    CheckValue(value, definitions_[model], where, model, problems);
  }

  void CheckValue(const json& value, const json& schema, const std::string& where,
                  const std::string& model, std::vector<std::string>& problems) const {
    if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      CheckRef(value, ref.substr(ref.rfind('/') + 1), where, problems);
      return;
    }
    const std::string type = schema.value("type", "object");
    const auto fail = [&](const std::string& what) {
      problems.push_back(where + " (" + model + "): " + what + ", got " + value.dump());
    };
    if (type == "string") {
      if (!value.is_string()) return fail("expected a string");
      if (schema.contains("enum")) {
        const json& allowed = schema["enum"];
        if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
          fail("not one of " + allowed.dump());
        }
      }
      static const std::regex kIso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z)");
      if (schema.value("format", "") == "date-time" &&
          !std::regex_match(value.get<std::string>(), kIso)) {
        fail("expected an ISO-8601 date-time");
      }
    } else if (type == "integer") {
      if (!value.is_number_integer()) fail("expected an integer");
    } else if (type == "number") {
      if (!value.is_number()) fail("expected a number");
    } else if (type == "boolean") {
      if (!value.is_boolean()) fail("expected a boolean");
    } else if (type == "array") {
      if (!value.is_array()) return fail("expected an array");
      for (size_t i = 0; i < value.size(); ++i) {
        CheckValue(value[i], schema["items"], where + "/" + std::to_string(i), model, problems);
      }
    } else if (type == "object") {
      if (!value.is_object()) return fail("expected an object");
      const json properties = schema.value("properties", json::object());
      for (const auto& [key, item] : value.items()) {
        if (properties.contains(key)) {
          CheckValue(item, properties[key], where + "/" + key, model, problems);
        } else if (schema.contains("additionalProperties")) {
          CheckValue(item, schema["additionalProperties"], where + "/" + key, model, problems);
        } else if (schema.contains("properties")) {
          problems.push_back(where + "/" + key + ": " + model + " declares no such field");
        }
      }
    }
  }

  json definitions_;
};

std::string Problems(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& problem : problems) out += "\n  " + problem;
  return out;
}

class SchemaConformanceTest : public ServerFixture {
 protected:
  // The demo world with wrap-up codes and a timed ACW, so that every ACW field is rendered.
  void SetUp() override {
    core::WorldSpec world = core::DemoWorld();
    world.wrapup_codes = {{"2f7a0000-0000-4000-8000-0000000000c1", "Resolved"},
                          {"2f7a0000-0000-4000-8000-0000000000c2", "No answer"}};
    world.queues[0].acw = {core::WrapupPrompt::kMandatoryTimeout, std::chrono::seconds(30)};
    StartServer(world);
  }

  // Sends the request and checks its status and body against `model`; returns the body.
  json Expect(const std::string& method, const std::string& path, int status,
              const std::string& model, const std::string& token, const std::string& body = "") {
    const Response response = body.empty() && method != "PATCH" && method != "PUT"
                                  ? Send(method, path, "", Auth(token))
                                  : SendJson(method, path, body.empty() ? "{}" : body, token);
    EXPECT_EQ(response.status, status) << method << " " << path << ": " << response.body;
    if (model.empty()) {
      EXPECT_TRUE(response.body.empty()) << method << " " << path << ": " << response.body;
      return json();
    }
    const json parsed = response.Json();
    EXPECT_FALSE(parsed.is_discarded()) << method << " " << path << ": " << response.body;
    const std::vector<std::string> problems = Models::Get().Check(parsed, model);
    EXPECT_TRUE(problems.empty()) << method << " " << path << " as " << model
                                  << Problems(problems);
    ++checked_;
    return parsed;
  }

  // Each entity of a listing the excerpt publishes no listing model for.
  void ExpectEntities(const std::string& path, const std::string& model, const std::string& token) {
    const Response response = Get(path, token);
    ASSERT_EQ(response.status, 200) << path << ": " << response.body;
    const json listing = response.Json();
    ASSERT_TRUE(listing.contains("entities")) << response.body;
    ASSERT_FALSE(listing["entities"].empty()) << path << " listed nothing to check";
    for (const json& entity : listing["entities"]) {
      const std::vector<std::string> problems = Models::Get().Check(entity, model);
      EXPECT_TRUE(problems.empty()) << path << " entity as " << model << Problems(problems);
    }
    ++checked_;
  }

  int checked_ = 0;
};

TEST_F(SchemaConformanceTest, TheCheckerCatchesWhatIsWrong) {
  const Models& models = Models::Get();
  EXPECT_TRUE(models.Check(json{{"id", "x"}, {"name", "n"}}, "Queue").empty());
  EXPECT_FALSE(models.Check(json{{"dispositionCode", "x"}}, "Participant").empty());
  EXPECT_FALSE(models.Check(json{{"state", "DISCONNECTED"}}, "CallMediaParticipant").empty());
  EXPECT_FALSE(models.Check(json{{"recordingState", "none"}}, "Conversation").empty());
  EXPECT_FALSE(models.Check(json{{"startTime", "yesterday"}}, "Conversation").empty());
  EXPECT_FALSE(models.Check(json{{"participants", {{{"muted", "yes"}}}}}, "CallConversation").empty());
}

TEST_F(SchemaConformanceTest, EveryConversationRouteAnswersItsModel) {
  const std::string token = Token();
  const std::string agent = AgentToken();
  const std::string call = "/api/v2/conversations/calls/" + kConversationId;

  Expect("GET", "/api/v2/conversations/" + kConversationId, 200, "Conversation", token);
  Expect("GET", call, 200, "CallConversation", token);
  Expect("GET", "/api/v2/conversations/calls", 200, "CallConversationEntityListing", agent);
  ExpectEntities("/api/v2/conversations", "Conversation", agent);
  // The observed profile: a body that changes nothing answers 204, one that changes 202.
  Expect("PATCH", GenericParticipantPath(kConversationId, kSupervisorId), 204, "", token,
         kSeedBody);
  Expect("PATCH", CallParticipantPath(kConversationId, kSupervisorId), 202, "", token,
         R"({"muted":true})");
  Expect("PATCH", call, 200, "Conversation", token, R"({"recordingState":"active"})");
  const json created = Expect("POST", "/api/v2/conversations/calls", 200, "CreateCallResponse",
                              agent, R"({"phoneNumber":"+13175550100"})");
  Expect("POST", call + "/participants", 200, "Conversation", token,
         R"({"participants":[{"address":"+13175550142"}]})");

  const std::string consult = CallParticipantPath(kConversationId, kCustomerId) + "/consult";
  Expect("POST", consult, 200, "ConsultTransferResponse", agent,
         R"({"speakTo":"DESTINATION","destination":{"address":"+13175550199"}})");
  Expect("PATCH", consult, 200, "ConsultTransferResponse", agent, R"({"speakTo":"BOTH"})");
  Expect("GET", call, 200, "CallConversation", token);  // confined legs
  Expect("DELETE", consult, 200, "", agent);
  Expect("POST", CallParticipantPath(kConversationId, kSupervisorId) + "/replace", 202, "", token,
         R"({"address":"+13175550142"})");

  // The agent's leg dropped per communication, then its after-call work and wrap-up.
  std::string comm;
  const json conversation = Get("/api/v2/conversations/" + kConversationId, token).Json();
  for (const json& leg : conversation["participants"]) {
    if (leg.value("id", "") == kAgentId) comm = leg["calls"][0].value("id", "");
  }
  ASSERT_FALSE(comm.empty()) << conversation.dump();
  const std::string agent_path = CallParticipantPath(kConversationId, kAgentId);
  Expect("PATCH", agent_path + "/communications/" + comm, 200, "Empty", token,
         R"({"state":"disconnected"})");
  Advance("1s");
  Expect("GET", call, 200, "CallConversation", token);
  Expect("GET", "/api/v2/conversations/" + kConversationId, 200, "Conversation", token);
  // The excerpt publishes no WrapupCode model: a list of {id, name}.
  const json codes = Get(agent_path + "/wrapupcodes", token).Json();
  ASSERT_TRUE(codes.is_array() && !codes.empty()) << codes.dump();
  for (const json& code : codes) EXPECT_TRUE(code.contains("id") && code.contains("name"));
  Expect("POST", agent_path + "/communications/" + comm + "/wrapup", 202, "", token,
         json{{"code", codes[0]["id"]}}.dump());
  Expect("GET", agent_path + "/wrapup", 200, "Wrapup", token);
  Expect("GET", agent_path + "/communications/" + comm + "/wrapup", 200, "Wrapup", token);
  Expect("GET", agent_path + "/communications/00000000-0000-4000-8000-000000000000/wrapup", 404, "ErrorBody", token);
  Expect("POST", "/api/v2/conversations/" + created.value("id", "") + "/disconnect", 202, "",
         agent);
  Expect("DELETE", "/api/v2/conversations/" + created.value("id", ""), 501, "ErrorBody", agent);
  Expect("GET", call, 200, "CallConversation", token);
  EXPECT_GE(checked_, 12);
}

TEST_F(SchemaConformanceTest, UsersRoutingAndAnalyticsAnswerTheirModels) {
  const std::string token = Token();
  const std::string agent = AgentToken();
  Expect("GET", "/api/v2/users/me", 200, "User", agent);
  Expect("GET", "/api/v2/users/" + std::string(core::kDemoSupervisorUserId), 200, "User", token);
  Expect("GET", "/api/v2/users/" + std::string(core::kDemoAgentUserId) + "/routingstatus", 200,
         "RoutingStatus", token);
  ExpectEntities("/api/v2/routing/queues", "Queue", token);

  // The agent leaves and its timed ACW runs out: its session has talk and ACW metrics.
  ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kAgentId),
                     R"({"state":"disconnected"})", token)
                .status,
            202);
  Advance("1m");
  const json details = {{"interval", "2026-01-01T00:00:00Z/2026-01-08T00:00:00Z"}};
  const json found = Expect("POST", "/api/v2/analytics/conversations/details/query", 200,
                            "AnalyticsConversationQueryResponse", token, details.dump());
  EXPECT_TRUE(found.dump().find("tAcw") != std::string::npos) << found.dump();
  Expect("GET", "/api/v2/analytics/conversations/" + kConversationId + "/details", 200,
         "AnalyticsConversationWithoutAttributes", token);
  const json observations = {
      {"filter",
       {{"type", "or"}, {"predicates", {{{"dimension", "queueId"}, {"value", kQueueId}}}}}},
      {"metrics",
       {"oInteracting", "oWaiting", "oAlerting", "oOnQueueUsers", "oUserRoutingStatuses",
        "oMemberUsers", "oActiveUsers"}},
      {"detailMetrics", {"oInteracting", "oWaiting", "oAlerting"}}};
  Expect("POST", "/api/v2/analytics/queues/observations/query", 200,
         "QueueObservationQueryResponse", token, observations.dump());
}

TEST_F(SchemaConformanceTest, NotificationRoutesAnswerTheirModels) {
  const std::string agent = AgentToken();
  const json channel = Expect("POST", "/api/v2/notifications/channels", 200, "Channel", agent);
  Expect("GET", "/api/v2/notifications/channels", 200, "ChannelEntityListing", agent);
  const std::string subscriptions =
      "/api/v2/notifications/channels/" + channel.value("id", "") + "/subscriptions";
  const std::string topics = json::array({{{"id", "v2.routing.queues." + kQueueId +
                                                       ".conversations.calls"}}})
                                 .dump();
  Expect("PUT", subscriptions, 200, "ChannelTopicEntityListing", agent, topics);
  Expect("POST", subscriptions, 200, "ChannelTopicEntityListing", agent, topics);
  Expect("GET", subscriptions, 200, "ChannelTopicEntityListing", agent);
}

TEST_F(SchemaConformanceTest, ErrorsAreErrorBodies) {
  const std::string token = Token();
  const std::string missing = "00000000-0000-4000-8000-000000000000";
  Expect("GET", "/api/v2/conversations/" + missing, 404, "ErrorBody", token);
  Expect("GET", "/api/v2/conversations/calls/" + missing, 404, "ErrorBody", token);
  Expect("PATCH", CallParticipantPath(kConversationId, missing), 404, "ErrorBody", token,
         R"({"state":"disconnected"})");
  Expect("PATCH", CallParticipantPath(kConversationId, kAgentId), 400, "ErrorBody", token,
         R"({"state":"sideways"})");
  Expect("GET", "/api/v2/users/" + missing, 404, "ErrorBody", token);
  Expect("GET", "/api/v2/conversations/calls", 400, "ErrorBody", token);  // no user context
  Expect("POST", "/api/v2/analytics/conversations/details/query", 400, "ErrorBody", token,
         R"({"interval":"yesterday"})");
  Expect("GET", "/api/v2/conversations/" + kConversationId, 401, "ErrorBody", "not-a-token");
}

}  // namespace
}  // namespace gcsim::http::testing
