// The Notifications API over real HTTP and a real WebSocket (a client on Boost.Beast): channels
// and subscriptions with their errors, and events on the channel's socket as the simulator's
// clock moves: a dropped leg, heartbeats, pings, one connection per channel, expiry.
// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

const std::string kChannels = "/api/v2/notifications/channels";
const std::string kAgentUserTopic =
    "v2.users." + std::string(core::kDemoAgentUserId) + ".conversations.calls";
const std::string kTranscriptionTopic = "v2.conversations." + kConversationId + ".transcription";
// Generous: an event follows a change within milliseconds; this only bounds a failing test.
constexpr auto kWaitLimit = std::chrono::seconds(10);

// A WebSocket client on a channel's connectUri.
class ChannelClient {
 public:
  explicit ChannelClient(const std::string& uri) : ws_(io_) {
    const std::string rest = uri.substr(std::string("ws://").size());
    const size_t colon = rest.find(':'), slash = rest.find('/');
    const std::string host = rest.substr(0, colon);
    const std::string port = rest.substr(colon + 1, slash - colon - 1);
    tcp::resolver resolver(io_);
    beast::get_lowest_layer(ws_).connect(resolver.resolve(host, port), error_);
    if (!error_) ws_.handshake(handshake_, host + ":" + port, rest.substr(slash), error_);
  }

  bool open() const { return !error_; }
  std::string error() const { return error_.message(); }

  void Send(const std::string& text) { ws_.write(asio::buffer(text)); }

  // The next message, or empty when none came within the limit or the socket closed.
  std::optional<std::string> Next() {
    std::optional<std::string> message;
    bool done = false;
    ws_.async_read(buffer_, [&](beast::error_code ec, size_t) {
      done = true;
      if (ec) {
        closed_ = true;
        return;
      }
      message = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
    });
    io_.restart();
    io_.run_for(kWaitLimit);
    if (!done) {
      beast::get_lowest_layer(ws_).cancel();
      io_.restart();
      io_.run();
    }
    return message;
  }

  // The first message on `topic` that `wanted` accepts, skipping others; null when none came.
  json NextOn(const std::string& topic, const std::function<bool(const json&)>& wanted = {}) {
    for (int skipped = 0; skipped < 100; ++skipped) {
      const auto text = Next();
      if (!text) return nullptr;
      const json message = json::parse(*text, nullptr, false);
      if (message.value("topicName", "") == topic && (!wanted || wanted(message))) return message;
    }
    return nullptr;
  }

  bool closed() const { return closed_; }

 private:
  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  websocket::response_type handshake_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
  bool closed_ = false;
};

class NotificationsTest : public ServerFixture {
 protected:
  json CreateChannel(const std::string& token) {
    const Response response = Send("POST", kChannels, "", Auth(token));
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }
  Response Subscribe(const std::string& method, const std::string& channel_id, const json& topics,
                     const std::string& token) {
    return SendJson(method, kChannels + "/" + channel_id + "/subscriptions", topics.dump(), token);
  }
  // A socket on a new channel of `token`'s client, subscribed to kTranscriptionTopic.
  std::unique_ptr<ChannelClient> TranscriptionSocket(const std::string& token) {
    const json channel = CreateChannel(token);
    EXPECT_EQ(
        Subscribe("PUT", channel["id"], json::array({{{"id", kTranscriptionTopic}}}), token).status,
        200);
    auto socket = std::make_unique<ChannelClient>(channel["connectUri"]);
    EXPECT_TRUE(socket->open()) << socket->error();
    return socket;
  }
  static std::string LegState(const json& event, const std::string& participant_id) {
    for (const json& leg : event["eventBody"]["participants"]) {
      if (leg.value("id", "") == participant_id) return leg.value("state", "");
    }
    return "";
  }
};

TEST_F(NotificationsTest, ChannelsAndSubscriptionsAsTheApiAnswersThem) {
  const std::string token = Token();
  const json channel = CreateChannel(token);
  const std::string id = channel.value("id", "");
  EXPECT_EQ(channel.value("connectUri", "").rfind("ws://127.0.0.1:", 0), 0u) << channel;
  EXPECT_NE(channel.value("connectUri", "").find("/channels/" + id), std::string::npos);
  EXPECT_EQ(channel.value("expires", ""), "2026-01-02T09:00:00.000Z");  // 24 hours on the clock

  const json listed = Get(kChannels, token).Json();
  ASSERT_EQ(listed["entities"].size(), 1u);
  EXPECT_EQ(listed["entities"][0]["id"], id);
  EXPECT_EQ(Send("HEAD", kChannels + "/" + id, "", Auth(token)).status, 200);
  // The API asks a channel's existence with HEAD only: a GET of it is the wrong method.
  const Response get = Send("GET", kChannels + "/" + id, "", Auth(token));
  ExpectErrorBody(get, 405, "method.not.allowed");
  EXPECT_EQ(get.Header("Allow"), "HEAD");

  const Response put = Subscribe("PUT", id,
                                 json::array({{{"id", kAgentUserTopic}},
                                              {{"id", "v2.users.someone.presence"}}}),
                                 token);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Json()["entities"][0]["state"], "Permitted");
  EXPECT_EQ(put.Json()["entities"][1]["state"], "Rejected");
  EXPECT_NE(put.Json()["entities"][1].value("rejectionReason", "").find("does not model"),
            std::string::npos);
  const std::string conversation_topic = "v2.conversations." + kConversationId;
  EXPECT_EQ(Subscribe("POST", id, json::array({{{"id", conversation_topic}}}), token).status, 200);
  json kept = Get(kChannels + "/" + id + "/subscriptions", token).Json();
  ASSERT_EQ(kept["entities"].size(), 2u) << kept;  // the rejected topic is not kept
  EXPECT_EQ(kept["entities"][0]["id"], kAgentUserTopic);
  EXPECT_EQ(kept["entities"][1]["id"], conversation_topic);

  EXPECT_EQ(Send("DELETE", kChannels + "/" + id + "/subscriptions", "", Auth(token)).status, 200);
  kept = Get(kChannels + "/" + id + "/subscriptions", token).Json();
  EXPECT_TRUE(kept["entities"].empty()) << kept;
}

TEST_F(NotificationsTest, BadRequestsAreRefusedAndChangeNothing) {
  const std::string token = Token();
  const std::string id = CreateChannel(token).value("id", "");
  const Response object = SendJson("PUT", kChannels + "/" + id + "/subscriptions",
                                   R"({"id":"v2.users.x.conversations.calls"})", token);
  EXPECT_EQ(object.status, 400);
  EXPECT_NE(object.body.find("must be a JSON array, not an object"), std::string::npos) << object.body;
  const Response item = Subscribe("PUT", id, json::array({{{"topic", kAgentUserTopic}}}), token);
  EXPECT_EQ(item.status, 400);
  EXPECT_NE(item.body.find("[0]: expected a topic object"), std::string::npos) << item.body;

  const std::string unknown = "0b6c3f6e-1d1e-4b9a-9c55-1f1f1f1f1f1f";
  const Response missing = Subscribe("PUT", unknown, json::array({{{"id", kAgentUserTopic}}}), token);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Json().value("code", ""), "not.found");
  EXPECT_EQ(Send("HEAD", kChannels + "/" + unknown, "", Auth(token)).status, 404);
  // Another client's channel is not found either.
  EXPECT_EQ(Get(kChannels + "/" + id + "/subscriptions", AgentToken()).status, 404);
  EXPECT_EQ(Send("POST", kChannels, "").status, 401);  // no token
  EXPECT_TRUE(Get(kChannels + "/" + id + "/subscriptions", token).Json()["entities"].empty());
}

TEST_F(NotificationsTest, TwentyChannelsPerClient) {
  const std::string token = Token();
  for (int i = 0; i < 20; ++i) CreateChannel(token);
  const Response refused = Send("POST", kChannels, "", Auth(token));
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Channel limit reached"), std::string::npos) << refused.body;
  EXPECT_EQ(Send("POST", kChannels, "", Auth(AgentToken())).status, 200);  // per client
}

TEST_F(NotificationsTest, ASocketSeesTheLegGoAfterTheRightDrop) {
  const std::string token = Token();
  const json channel = CreateChannel(token);
  ASSERT_EQ(Subscribe("PUT", channel["id"], json::array({{{"id", kAgentUserTopic}}}), token).status, 200);
  ChannelClient socket(channel["connectUri"]);
  ASSERT_TRUE(socket.open());

  // The agent's call as it is now, first.
  const json first = socket.NextOn(kAgentUserTopic);
  ASSERT_FALSE(first.is_null()) << "no event for the agent's call";
  EXPECT_EQ(first.value("version", ""), "2");
  EXPECT_EQ(first["eventBody"].value("id", ""), kConversationId);
  EXPECT_FALSE(first["metadata"].value("CorrelationId", "").empty());
  EXPECT_EQ(LegState(first, kAgentId), "connected");

  socket.Send(R"({"message":"ping"})");
  const json pong = socket.NextOn("channel.metadata");
  ASSERT_FALSE(pong.is_null());
  EXPECT_EQ(pong["eventBody"].value("message", ""), "pong");

  // The seed's PATCH changes nothing, so nothing is sent; the right drop lands after its latency.
  EXPECT_LT(SendJson("PATCH", GenericParticipantPath(kConversationId, kAgentId), kSeedBody, token).status, 300);
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kAgentId),
                     R"({"state":"disconnected"})", token).status, 202);
  Advance("1s");
  const json gone = socket.NextOn(kAgentUserTopic, [](const json& event) {
    return LegState(event, kAgentId) == "disconnected";
  });
  ASSERT_FALSE(gone.is_null()) << "no event with the agent's leg disconnected";
}

// The demo customer talks 0s-20s of every 45s, the agent 22s-42s.
TEST_F(NotificationsTest, TranscriptionTellsWhenEachLegStartsAndStopsBeingHeard) {
  const std::unique_ptr<ChannelClient> socket = TranscriptionSocket(Token());
  const auto utterance = [&](const std::string& leg, bool final) {
    return socket->NextOn(kTranscriptionTopic, [&](const json& event) {
      return event["eventBody"].value("communicationId", "") == leg &&
             event["eventBody"]["transcripts"][0].value("isFinal", !final) == final;
    });
  };
  const json started = utterance(kCustomerId, false);
  ASSERT_FALSE(started.is_null()) << "no utterance as the customer talks";
  EXPECT_EQ(started["eventBody"]["transcripts"][0].value("channel", ""), "EXTERNAL");

  Advance("21s");
  const json ended = utterance(kCustomerId, true);
  ASSERT_FALSE(ended.is_null()) << "no final utterance once the customer stopped";
  const json& said = ended["eventBody"]["transcripts"][0]["alternatives"][0];
  EXPECT_EQ(said.value("offsetMs", -1), 0);
  EXPECT_EQ(said.value("durationMs", -1), 20'000);

  Advance("2s");  // 23s: the agent talks
  const json agent = utterance(kAgentId, false);
  ASSERT_FALSE(agent.is_null()) << "no utterance as the agent talks";
  EXPECT_EQ(agent["eventBody"]["transcripts"][0].value("channel", ""), "INTERNAL");
}

// A transcription subscription watches from when it is made, or when its socket attaches: a
// burst between then and the server's first look (every 20 ms of wall time, the manual clock
// moved past the burst in one step before it) is told, or a client would take it for silence.
TEST_F(NotificationsTest, ABurstBeforeTheServersFirstLookIsTold) {
  core::WorldSpec world = core::DemoWorld();
  core::LegSpec& supervisor = world.conversations[0].legs.back();
  ASSERT_EQ(supervisor.id, kSupervisorId);
  supervisor.speech = {.kind = core::SpeechScript::Kind::kIntervals,
                       .intervals = {{std::chrono::seconds(2), std::chrono::seconds(3)}}};
  StartServer(world);
  const std::string token = Token();
  // Subscribed, then attached.
  const std::unique_ptr<ChannelClient> attached_last = TranscriptionSocket(token);
  // Attached, then subscribed.
  const json channel = CreateChannel(token);
  const auto subscribed_last = std::make_unique<ChannelClient>(channel["connectUri"]);
  ASSERT_TRUE(subscribed_last->open()) << subscribed_last->error();
  ASSERT_EQ(
      Subscribe("PUT", channel["id"], json::array({{{"id", kTranscriptionTopic}}}), token).status,
      200);

  Advance("5s");
  for (ChannelClient* socket : {attached_last.get(), subscribed_last.get()}) {
    const json told = socket->NextOn(kTranscriptionTopic, [](const json& event) {
      return event["eventBody"].value("communicationId", "") == kSupervisorId;
    });
    ASSERT_FALSE(told.is_null()) << "the burst at 2s was not told";
    const json& said = told["eventBody"]["transcripts"][0];
    EXPECT_TRUE(said.value("isFinal", false));
    // Told between looks: from the watch's start to when the leg was last heard.
    EXPECT_EQ(said["alternatives"][0].value("offsetMs", -1) +
                  said["alternatives"][0].value("durationMs", -1),
              3000);
  }
}

// A drop right after a read's answer rests on that read, as its client had nothing newer; not
// once the client's channel has told it, after the read, that the leg was heard.
TEST_F(NotificationsTest, ADropRestsNotOnAReadItsChannelHasSinceBeliedWithAWord) {
  think_time_ = std::chrono::seconds(2);
  StartServer(DemoWorldWithMutedTalker());  // the supervisor, silent until unmuted
  const std::string token = Token();
  const std::unique_ptr<ChannelClient> socket = TranscriptionSocket(token);

  Advance("10m");
  ASSERT_EQ(Get("/api/v2/conversations/calls/" + kConversationId, token).status, 200);
  Advance("100ms");
  // Another client unmutes the supervisor, who talks: the channel tells of it.
  ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId),
                     R"({"muted":false})", AgentToken())
                .status,
            202);
  Advance("1s");
  const json word = socket->NextOn(kTranscriptionTopic, [](const json& event) {
    return event["eventBody"].value("communicationId", "") == kSupervisorId;
  });
  ASSERT_FALSE(word.is_null()) << "no utterance as the supervisor talks";

  // Within the think time of the read's answer, which found the supervisor silent ten minutes.
  ASSERT_EQ(Drop(token, kSupervisorId).status, 202);
  const json drop = LastDropEntry();
  ASSERT_TRUE(drop.contains("dropEvidence")) << drop;
  EXPECT_EQ(drop["dropEvidence"]["readAt"], "2026-01-01T09:10:00.000Z");
  // Heard after the read, as its client was told (ISO times of one format sort as text).
  EXPECT_GE(drop["dropEvidence"].value("silentSince", ""), "2026-01-01T09:10:00.100Z") << drop;
  EXPECT_NE(Get("/sim/v1/metrics").body.find("gcsim_early_drops_total{client=\"demo-client\"} 1\n"),
            std::string::npos);
}

// What a channel told of the legs of a world a reset replaced says nothing of the new world's,
// though the clock came back round and the legs kept their ids.
TEST_F(NotificationsTest, WhatAChannelToldOfTheWorldAResetReplacedJudgesNoDrop) {
  think_time_ = std::chrono::seconds(2);
  StartServer(DemoWorldWithMutedTalker());  // the supervisor, silent until unmuted
  const std::unique_ptr<ChannelClient> socket = TranscriptionSocket(Token());
  const auto said = [&](bool final) {
    return socket->NextOn(kTranscriptionTopic, [&](const json& event) {
      return event["eventBody"].value("communicationId", "") == kSupervisorId &&
             event["eventBody"]["transcripts"][0].value("isFinal", !final) == final;
    });
  };
  // In the old world the supervisor talks from 5m to 5m1s, and the channel tells of it.
  Advance("5m");
  const auto mute = [&](bool muted) {
    return SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId),
                    json{{"muted", muted}}.dump(), AgentToken())
        .status;
  };
  ASSERT_EQ(mute(false), 202);
  Advance("1s");
  ASSERT_FALSE(said(false).is_null()) << "no utterance as the supervisor talks";
  ASSERT_EQ(mute(true), 202);
  Advance("1s");
  ASSERT_FALSE(said(true).is_null()) << "no final utterance once the supervisor is muted";

  // The new world's supervisor stays muted: silent ten minutes when read, then dropped.
  ASSERT_EQ(Send("POST", "/sim/v1/reset?rewind=true").status, 200);
  Advance("10m");
  const std::string token = Token();
  ASSERT_EQ(Get("/api/v2/conversations/calls/" + kConversationId, token).status, 200);
  Advance("100ms");
  ASSERT_EQ(Drop(token, kSupervisorId).status, 202);
  const json drop = LastDropEntry();
  ASSERT_TRUE(drop.contains("dropEvidence")) << drop;
  EXPECT_EQ(drop["dropEvidence"].value("silentSince", ""), "2026-01-01T09:00:00.000Z") << drop;
  EXPECT_NE(Get("/sim/v1/metrics").body.find("gcsim_early_drops_total{client=\"demo-client\"} 0\n"),
            std::string::npos);
}

// A pong comes after every event up to the moment the ping was read: a client that has its pong
// has caught up with the simulator's clock (the reaper's notifications source relies on it).
TEST_F(NotificationsTest, APongFollowsEveryEventUpToIt) {
  const std::string token = Token();
  const json channel = CreateChannel(token);
  ASSERT_EQ(Subscribe("PUT", channel["id"], json::array({{{"id", kAgentUserTopic}}}), token).status, 200);
  ChannelClient socket(channel["connectUri"]);
  ASSERT_TRUE(socket.open());
  // Messages up to the next pong; whether one of them shows the agent's leg in `state`.
  const auto until_pong = [&](const std::string& state) {
    socket.Send(R"({"message":"ping"})");
    bool seen = false;
    for (int i = 0; i < 100; ++i) {
      const auto text = socket.Next();
      if (!text) return false;
      const json message = json::parse(*text, nullptr, false);
      if (message.value("topicName", "") == "channel.metadata" &&
          message["eventBody"].value("message", "") == "pong") {
        return seen;
      }
      seen = seen || (message.value("topicName", "") == kAgentUserTopic && LegState(message, kAgentId) == state);
    }
    return false;
  };
  EXPECT_TRUE(until_pong("connected"));  // the snapshot on connecting, before the pong
  for (int round = 0; round < 5; ++round) EXPECT_FALSE(until_pong("connected"));  // nothing new
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kAgentId),
                     R"({"state":"disconnected"})", token).status, 202);
  Advance("1s");
  EXPECT_TRUE(until_pong("disconnected"));  // at once, not on the next look of its own
}

// Detail events: a leg's start and end, once each, for user legs and ACD legs; what happened
// before the socket connected is not told.
TEST_F(NotificationsTest, DetailEventsTellUserAndAcdLegsStartingAndEnding) {
  const std::string token = Token();
  const json channel = CreateChannel(token);
  const std::string detail = "v2.detail.events.conversation." + kConversationId + ".";
  const std::string conversation_topic = "v2.conversations." + kConversationId;
  const Response subscribed = Subscribe(
      "PUT", channel["id"],
      json::array({{{"id", detail + "user.start"}}, {{"id", detail + "user.end"}},
                   {{"id", detail + "acd.start"}}, {{"id", detail + "acd.end"}},
                   {{"id", conversation_topic}}}),
      token);
  ASSERT_EQ(subscribed.status, 200) << subscribed.body;
  for (const json& topic : subscribed.Json()["entities"]) EXPECT_EQ(topic["state"], "Permitted") << topic;
  ChannelClient socket(channel["connectUri"]);
  ASSERT_TRUE(socket.open());
  // The conversation's snapshot comes from the same first look as the detail topics'.
  ASSERT_FALSE(socket.NextOn(conversation_topic).is_null());

  Advance("1m");
  const Response added = SendJson(
      "POST", "/api/v2/conversations/calls/" + kConversationId + "/participants",
      json{{"participants", json::array({{{"queueId", kQueueId}},
                                         {{"userId", core::kDemoSupervisorUserId}}})}}.dump(),
      token);
  ASSERT_EQ(added.status, 200) << added.body;
  std::string acd_leg;
  std::string user_leg;
  const json conversation = added.Json();
  for (const json& leg : conversation["participants"]) {
    if (leg.value("purpose", "") == "acd") acd_leg = leg.value("id", "");
    if (leg.value("purpose", "") == "user" && leg.value("id", "") != kSupervisorId) user_leg = leg.value("id", "");
  }
  ASSERT_FALSE(acd_leg.empty()) << added.body;
  ASSERT_FALSE(user_leg.empty()) << added.body;

  // The new legs' starts; the legs there before the socket connected are history.
  // Told in the order of the channel's topics, each in time order.
  const json user_start = socket.NextOn(detail + "user.start");
  ASSERT_FALSE(user_start.is_null()) << "no user.start";
  EXPECT_EQ(user_start["eventBody"].value("participantId", ""), user_leg);
  EXPECT_EQ(user_start["eventBody"].value("userId", ""), core::kDemoSupervisorUserId);
  const json acd_start = socket.NextOn(detail + "acd.start");
  ASSERT_FALSE(acd_start.is_null()) << "no acd.start";
  const json& acd_body = acd_start["eventBody"];
  EXPECT_EQ(acd_body.value("participantId", ""), acd_leg);
  EXPECT_EQ(acd_body.value("conversationId", ""), kConversationId);
  EXPECT_EQ(acd_body.value("queueId", ""), kQueueId);
  EXPECT_EQ(acd_body.value("mediaType", ""), "VOICE");
  EXPECT_EQ(acd_body.value("eventTime", int64_t{0}), 1767258060000);  // 2026-01-01T09:01:00Z
  EXPECT_FALSE(acd_start["metadata"].value("CorrelationId", "").empty());

  // The agent dropped: user.end with how it ended; the ACD leg ends answered by the agent.
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kAgentId),
                     R"({"state":"disconnected"})", token).status, 202);
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, acd_leg),
                     R"({"state":"disconnected"})", token).status, 202);
  Advance("1s");
  const json user_end = socket.NextOn(detail + "user.end");
  ASSERT_FALSE(user_end.is_null()) << "no user.end";
  const json& end_body = user_end["eventBody"];
  EXPECT_EQ(end_body.value("participantId", ""), kAgentId);
  EXPECT_EQ(end_body.value("userId", ""), core::kDemoAgentUserId);
  EXPECT_EQ(end_body.value("disconnectType", ""), "CLIENT");
  EXPECT_EQ(end_body.value("eventTime", int64_t{0}), 1767258060250);  // + disconnectLatency
  EXPECT_EQ(end_body.value("interactingDurationMs", int64_t{0}), 60'250);
  const json acd_end = socket.NextOn(detail + "acd.end");
  ASSERT_FALSE(acd_end.is_null()) << "no acd.end";
  EXPECT_EQ(acd_end["eventBody"].value("participantId", ""), acd_leg);
  EXPECT_EQ(acd_end["eventBody"].value("acdOutcome", ""), "ANSWERED");
  EXPECT_EQ(acd_end["eventBody"].value("answeredUserId", ""), core::kDemoAgentUserId);

  // Told once: nothing more on the detail topics as time goes on.
  Advance("31s");
  int told_again = 0;
  bool heartbeat = false;
  for (int i = 0; i < 100 && !heartbeat; ++i) {
    const auto text = socket.Next();
    if (!text) break;
    const std::string topic = json::parse(*text, nullptr, false).value("topicName", "");
    told_again += topic.rfind(detail, 0) == 0 ? 1 : 0;
    heartbeat = topic == "channel.metadata";
  }
  EXPECT_TRUE(heartbeat);
  EXPECT_EQ(told_again, 0);
}

TEST_F(NotificationsTest, HeartbeatsEveryThirtySecondsOfSimulatedTime) {
  const std::string token = Token();
  const json channel = CreateChannel(token);
  ChannelClient socket(channel["connectUri"]);
  ASSERT_TRUE(socket.open());
  Advance("30s");
  const json heartbeat = socket.NextOn("channel.metadata");
  ASSERT_FALSE(heartbeat.is_null());
  EXPECT_EQ(heartbeat["eventBody"].value("message", ""), "WebSocket Heartbeat");
}

TEST_F(NotificationsTest, OneConnectionPerChannelAndUnknownChannelsAreRefused) {
  const std::string token = Token();
  const json channel = CreateChannel(token);
  ChannelClient first(channel["connectUri"]);
  ASSERT_TRUE(first.open());
  ChannelClient second(channel["connectUri"]);
  ASSERT_TRUE(second.open());
  EXPECT_FALSE(first.Next().has_value());  // closed by the service for the newer connection
  EXPECT_TRUE(first.closed());

  std::string uri = channel["connectUri"];
  uri.replace(uri.rfind('/') + 1, std::string::npos, "0b6c3f6e-1d1e-4b9a-9c55-1f1f1f1f1f1f");
  ChannelClient stranger(uri);
  EXPECT_FALSE(stranger.open());
  EXPECT_EQ(stranger.error(), "The WebSocket handshake was declined by the remote peer");
  // What the refusal says, as a plain HTTP client reads it.
  const size_t port_at = uri.rfind(':') + 1;
  httplib::Client plain("127.0.0.1", std::stoi(uri.substr(port_at, uri.find('/', port_at) - port_at)));
  const auto refused = plain.Get(uri.substr(uri.find('/', port_at)).c_str(),
                                 {{"Connection", "Upgrade"}, {"Upgrade", "websocket"},
                                  {"Sec-WebSocket-Version", "13"},
                                  {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);
  const json body = json::parse(refused->body, nullptr, false);
  EXPECT_EQ(body.value("code", ""), "not.found") << refused->body;
  // Like every answer of the API, it carries a correlation id, in the body and the header.
  EXPECT_EQ(body.value("contextId", "").size(), 36u) << refused->body;
  EXPECT_EQ(refused->get_header_value("ININ-Correlation-Id"), body.value("contextId", ""));
}

TEST_F(NotificationsTest, AnExpiredChannelSaysSoAndCloses) {
  const std::string token = Token();
  const json channel = CreateChannel(token);
  ChannelClient socket(channel["connectUri"]);
  ASSERT_TRUE(socket.open());
  Advance("24h");
  const json closing = socket.NextOn("v2.system.socket_closing");
  ASSERT_FALSE(closing.is_null());
  EXPECT_FALSE(socket.Next().has_value());
  EXPECT_TRUE(socket.closed());
  // (a token issued a day ago has expired too)
  EXPECT_EQ(Send("HEAD", kChannels + "/" + channel.value("id", ""), "", Auth(Token())).status, 404);
}

}  // namespace
}  // namespace gcsim::http::testing
