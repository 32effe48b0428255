// A real gcsim server on port 0 over a ManualClock, and a real HTTP client talking to it over
// loopback. Shared by the server_*_test.cc files.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "gcsim/common/clock.h"
#include "gcsim/common/ids.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "gcsim/http/server.h"

namespace gcsim::http::testing {

using nlohmann::json;

inline const std::string kConversationId(core::kDemoConversationId);
inline const std::string kCustomerId(core::kDemoCustomerId);
inline const std::string kAgentId(core::kDemoAgentId);
inline const std::string kSupervisorId(core::kDemoSupervisorId);
inline const std::string kQueueId(core::kDemoQueueId);
inline const std::string kSeedBody =
    R"({"id":"9f8e7d6c-5b4a-3210-abcd-ef1234567890","dispositionCode":"no-answer","dropReason":"timeout"})";

struct Response {
  int status = 0;  // 0: the request failed at the transport
  std::string body;
  httplib::Headers headers;

  json Json() const { return json::parse(body, nullptr, /*allow_exceptions=*/false); }
  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool HasHeader(const std::string& name) const { return headers.find(name) != headers.end(); }
};

// An ErrorBody as the API writes one, whose contextId is the answer's correlation id.
inline void ExpectErrorBody(const Response& response, int status,
                            const std::string& code = "bad.request") {
  EXPECT_EQ(response.status, status) << response.body.substr(0, 500);
  EXPECT_NE(response.Header("Content-Type").find("application/json"), std::string::npos);
  const json body = response.Json();
  ASSERT_TRUE(body.is_object()) << response.body.substr(0, 500);
  EXPECT_EQ(body.value("code", ""), code);
  EXPECT_EQ(body.value("status", 0), status);
  EXPECT_TRUE(body["message"].is_string());
  EXPECT_TRUE(body["details"].is_array());
  EXPECT_EQ(body["errors"], json::array());
  const std::string id = response.Header("ININ-Correlation-Id");
  EXPECT_TRUE(IsUuid(id)) << id;
  EXPECT_EQ(body["contextId"], id);
}

inline std::string GenericParticipantPath(const std::string& cid, const std::string& pid) {
  return "/api/v2/conversations/" + cid + "/participants/" + pid;
}
inline std::string CallParticipantPath(const std::string& cid, const std::string& pid) {
  return "/api/v2/conversations/calls/" + cid + "/participants/" + pid;
}

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(core::DemoWorld()); }
  void TearDown() override { StopServer(); }

  // (Re)starts everything over `world`. A null clock in `sim_options` means this fixture's
  // ManualClock; `real_clock` serves on a RealClock instead.
  void StartServer(const core::WorldSpec& world, core::SimulatorOptions sim_options = {},
                   bool real_clock = false) {
    StopServer();
    clock_ = std::make_unique<ManualClock>();
    if (real_clock) real_clock_ = std::make_unique<RealClock>();
    sim_options.clock = real_clock ? static_cast<Clock*>(real_clock_.get()) : clock_.get();
    auto sim = core::Simulator::Create(sim_options, world);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(*sim);
    auto server = Server::Create({.simulator = sim_.get(),
                                  .manual_clock = real_clock ? nullptr : clock_.get(),
                                  .initial_world = world,
                                  .threads = 8,
                                  .think_time = think_time_});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    auto port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
    client_ = NewClient();
  }

  void StopServer() {
    client_.reset();  // first, so that no idle keep-alive connection holds a worker
    server_.reset();
    sim_.reset();
    real_clock_.reset();
  }

  std::unique_ptr<httplib::Client> NewClient() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    return client;
  }

  Response Send(httplib::Client& client, const std::string& method, const std::string& path,
                const std::string& body = "", const httplib::Headers& headers = {}) const {
    httplib::Request request;
    request.method = method;
    request.path = path;
    request.headers = headers;
    request.body = body;
    httplib::Result result = client.send(request);
    if (!result) return Response{};
    return Response{result->status, result->body, result->headers};
  }

  Response Send(const std::string& method, const std::string& path, const std::string& body = "",
                const httplib::Headers& headers = {}) {
    return Send(*client_, method, path, body, headers);
  }

  static httplib::Headers Auth(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  static httplib::Headers JsonAuth(const std::string& token) {
    return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
  }

  Response Get(const std::string& path, const std::string& token = "") {
    return Send("GET", path, "", token.empty() ? httplib::Headers{} : Auth(token));
  }
  // A JSON body (text, sent as is) with a bearer token when one is given.
  Response SendJson(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& token = "") {
    httplib::Headers headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return Send(method, path, body, headers);
  }

  // The drop real scripts send: PATCH {"state":"disconnected"} on the generic participant path.
  Response Drop(const std::string& token, const std::string& pid,
                const std::string& cid = kConversationId) {
    return SendJson("PATCH", GenericParticipantPath(cid, pid), R"({"state":"disconnected"})",
                    token);
  }

  // An access token for a client of the world (the demo world's client-credentials app by default).
  std::string Token(const std::string& client_id = "demo-client",
                    const std::string& secret = "demo-secret") {
    const Response response = Send("POST", "/oauth/token", "grant_type=client_credentials",
                                   {{"Content-Type", "application/x-www-form-urlencoded"},
                                    httplib::make_basic_authentication_header(client_id, secret)});
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json().value("access_token", "");
  }
  std::string AgentToken() { return Token("demo-agent-app", "demo-agent-secret"); }

  // The leg as GET /api/v2/conversations/calls/{cid} shows it.
  json CallLeg(const std::string& token, const std::string& pid,
               const std::string& cid = kConversationId) {
    const json conversation = Get("/api/v2/conversations/calls/" + cid, token).Json();
    for (const json& participant : conversation.value("participants", json::array())) {
      if (participant.value("id", "") == pid) return participant;
    }
    ADD_FAILURE() << "participant " << pid << " not in " << conversation.dump();
    return json::object();
  }

  json Media(const std::string& pid, const std::string& cid = kConversationId) {
    return Get("/sim/v1/conversations/" + cid + "/participants/" + pid + "/media").Json();
  }

  // oInteracting or oWaiting for `queue_id`.
  int Observe(const std::string& token, const std::string& metric,
              const std::string& queue_id = kQueueId) {
    const json query = {
        {"filter",
         {{"type", "or"}, {"predicates", {{{"dimension", "queueId"}, {"value", queue_id}}}}}},
        {"metrics", {metric}}};
    const Response response =
        SendJson("POST", "/api/v2/analytics/queues/observations/query", query.dump(), token);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json()["results"][0]["data"][0]["stats"]["count"].get<int>();
  }

  json Advance(const std::string& by) {
    const Response response = SendJson("POST", "/sim/v1/clock/advance", json{{"by", by}}.dump());
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }

  json Journal() { return Get("/sim/v1/journal").Json()["entries"]; }
  // The journal entry of the last drop PATCH (null when there was none).
  json LastDropEntry() {
    json drop;
    for (const json& entry : Journal()) {
      if (entry.value("method", "") == "PATCH" && entry.contains("dropSilentSince")) drop = entry;
    }
    return drop;
  }
  // GET /sim/v1/state: compared before and after a refused request to show nothing changed.
  json State() { return Get("/sim/v1/state").Json(); }

  // The demo world whose supervisor would talk all the time but is muted from the start.
  static core::WorldSpec DemoWorldWithMutedTalker() {
    core::WorldSpec world = core::DemoWorld();
    core::LegSpec& supervisor = world.conversations[0].legs.back();
    EXPECT_EQ(supervisor.id, kSupervisorId);
    supervisor.speech = core::SpeechScript::Always();
    supervisor.muted = true;
    return world;
  }

  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<RealClock> real_clock_;
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
  Duration think_time_{};  // the server's, from the next StartServer
};

}  // namespace gcsim::http::testing
