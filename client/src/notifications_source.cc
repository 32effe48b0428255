#include "gcsim/client/notifications_source.h"

// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "gcsim/common/routes.h"
#include "gcsim/common/strings.h"
#include "gcsim/common/time.h"

namespace gcsim::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

constexpr char kPing[] = R"({"message":"ping"})";

std::optional<TimePoint> TimeField(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return std::nullopt;
  Result<TimePoint> parsed = ParseIso8601(object[key].get<std::string>());
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

std::optional<std::string> Between(const std::string& text, std::string_view prefix,
                                   std::string_view suffix) {
  if (text.size() <= prefix.size() + suffix.size() || text.compare(0, prefix.size(), prefix) != 0 ||
      text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  return text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
}

HttpRequest JsonRequest(std::string method, std::string target, std::string body = {}) {
  HttpRequest request{.method = std::move(method), .target = std::move(target)};
  request.headers["Accept"] = "application/json";
  if (!body.empty()) {
    request.headers["Content-Type"] = "application/json";
    request.body = std::move(body);
  }
  return request;
}

// The answer's JSON; `dated`, when given, gets the answer's Date (on the server's clock, whole
// seconds rounded down), if it had one.
Result<json> JsonCall(ApiClient& client, HttpRequest request,
                      std::optional<TimePoint>* dated = nullptr) {
  const std::string what = Join({request.method, " ", request.target}, "");
  Result<HttpResponse> response = client.Execute(std::move(request));
  if (!response.ok()) return response.status();
  if (dated != nullptr) {
    const Result<TimePoint> date = ParseHttpDate(response->Header("Date"));
    *dated = date.ok() ? std::optional<TimePoint>(*date) : std::nullopt;
  }
  if (response->status < 200 || response->status >= 300) {
    return Status(StatusCodeForHttp(response->status),
                  Join({what, ": HTTP ", std::to_string(response->status), " ", response->body}, ""));
  }
  json parsed = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return UnavailableError(what + ": the answer is not JSON");
  return parsed;
}

// "ws://host:port/path" -> host, port, path.
struct WsAddress {
  std::string host, port, path;
};
std::optional<WsAddress> ParseWsUri(const std::string& uri) {
  if (uri.rfind("ws://", 0) != 0) return std::nullopt;
  const std::string rest = uri.substr(5);
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return WsAddress{authority, "80", path};
  return WsAddress{authority.substr(0, colon), authority.substr(colon + 1), path};
}

}  // namespace

class NotificationsActivitySource::Impl {
 public:
  Impl(ApiClient& client, Clock& clock, NotificationsActivitySourceOptions options)
      : client_(client), clock_(clock), options_(std::move(options)) {}
  ~Impl() { Disconnect(); }

  Result<std::vector<Candidate>> Candidates(TimePoint now, Duration idle_timeout) {
    if (Status ready = CatchUp(); !ready.ok()) return ready;
    std::vector<Candidate> candidates;
    {
      std::lock_guard lock(mu_);
      for (const auto& [cid, conversation] : conversations_) {
        for (const auto& [pid, leg] : conversation.legs) {
          const std::optional<TimePoint> since = SilentSinceLocked(conversation, leg);
          if (since && now - *since >= idle_timeout) {
            candidates.push_back({cid, pid, leg.purpose, *since});
          }
        }
      }
    }
    std::vector<Candidate> confirmed;
    for (Candidate& candidate : candidates) {
      Result<bool> live = StillConnected(candidate.conversation_id, candidate.participant_id);
      if (!live.ok() || !*live) continue;
      // Events that came while the GET was answered (a word during its latency) count too.
      if (!Sync().ok()) continue;
      // Read again on the offset of that answer. The first read used the last answer's, which
      // may be ticks old: a server's clock that stood still since (gcsim's manual clock) made
      // the silence look longer than it was. One that jumped ahead makes it look shorter until
      // an answer shows it: a drop that late, never one early, at no request of its own.
      const std::optional<TimePoint> since =
          SilentSince(candidate.conversation_id, candidate.participant_id);
      if (!since || now - *since < idle_timeout) continue;
      candidate.silent_since = *since;
      confirmed.push_back(std::move(candidate));
    }
    return confirmed;
  }

  Result<std::optional<TimePoint>> ConfirmedSilentSince(const std::string& cid,
                                                        const std::string& pid) {
    if (Status ready = CatchUp(); !ready.ok()) return ready;
    if (!SilentSince(cid, pid)) return std::optional<TimePoint>();
    Result<bool> live = StillConnected(cid, pid);
    if (!live.ok()) return live.status();
    if (!*live) return std::optional<TimePoint>();
    // Caught up again, and read on the offset of that answer (see Candidates).
    if (Status synced = Sync(); !synced.ok()) return synced;
    return SilentSince(cid, pid);
  }

 private:
  struct Leg {
    std::string purpose;
    std::string state;
    std::optional<TimePoint> connected_time;
    bool speaking = false;                  // an utterance under way (not final yet)
    std::optional<TimePoint> last_heard;    // the end of its last final utterance
  };
  struct Conversation {
    std::optional<TimePoint> start_time;    // from v2.conversations.{id}
    bool subscribed = false;                // its own topics asked for
    std::optional<TimePoint> watched_since;  // the watch began (caught up after subscribing)
    bool ended = false;
    std::map<std::string, Leg> legs;
  };

  // Silent since the latest of: the watch began, the leg connected, its last utterance ended;
  // all three on the server's clock, read on ours through the offset of the latest answer.
  // nullopt while it talks, before the watch began, or when it is not connected.
  std::optional<TimePoint> SilentSinceLocked(const Conversation& conversation,
                                             const Leg& leg) const {
    if (conversation.ended || !conversation.watched_since || !conversation.start_time) return std::nullopt;
    if (leg.state != "connected" || leg.speaking || !leg.connected_time) return std::nullopt;
    TimePoint since = std::max(*conversation.watched_since, *leg.connected_time);
    if (leg.last_heard) since = std::max(since, *leg.last_heard);
    return client_.server_time().ToLocal(since);
  }

  std::optional<TimePoint> SilentSince(const std::string& cid, const std::string& pid) {
    std::lock_guard lock(mu_);
    const auto conversation = conversations_.find(cid);
    if (conversation == conversations_.end()) return std::nullopt;
    const auto leg = conversation->second.legs.find(pid);
    if (leg == conversation->second.legs.end()) return std::nullopt;
    return SilentSinceLocked(conversation->second, leg->second);
  }

  Result<bool> StillConnected(const std::string& cid, const std::string& pid) {
    Result<CallConversation> call = client_.GetCallConversation(cid);
    if (!call.ok()) {
      if (call.status().code() == StatusCode::kNotFound) return false;
      return call.status();
    }
    const CallParticipant* leg = call->FindParticipant(pid);
    return leg != nullptr && leg->state == "connected";
  }

  // Connects (or reconnects) and waits until every event up to now has arrived; subscribes to
  // the calls learned of since, and waits again so that their watch starts caught up.
  Status CatchUp() {
    if (!connected()) {
      // A channel kept from before may have expired: then one new channel, at once.
      const bool had_channel = !channel_id_.empty();
      Status started = Connect();
      if (!started.ok() && had_channel && channel_id_.empty()) started = Connect();
      if (!started.ok()) return started;
    }
    if (Status synced = Sync(); !synced.ok()) return synced;
    std::vector<std::string> fresh;
    {
      std::lock_guard lock(mu_);
      for (auto& [cid, conversation] : conversations_) {
        if (!conversation.subscribed && !conversation.ended) fresh.push_back(cid);
      }
    }
    if (fresh.empty()) return Status::Ok();
    json topics = json::array();
    for (const std::string& cid : fresh) {
      topics.push_back({{"id", "v2.conversations." + cid}});
      topics.push_back({{"id", "v2.conversations." + cid + ".transcription"}});
    }
    std::optional<TimePoint> dated;
    Result<json> added =
        JsonCall(client_, JsonRequest("POST", SubscriptionsPath(), topics.dump()), &dated);
    if (!added.ok()) return added.status();
    if (Status synced = Sync(); !synced.ok()) return synced;
    // On the server's clock, like every other time of a leg: a watch that began on ours would
    // count as silence the time our clock runs while the server's stands still. Our clock read
    // through the offset's lower bound may be up to a second before the subscriptions existed,
    // and speech in that second is never told: the watch starts no earlier than the second
    // after their answer's Date, by which they surely did.
    TimePoint caught_up = client_.server_time().ToServer(clock_.Now());
    if (dated) caught_up = std::max(caught_up, *dated + std::chrono::seconds(1));
    std::lock_guard lock(mu_);
    for (const std::string& cid : fresh) {
      auto& conversation = conversations_[cid];
      conversation.subscribed = true;
      conversation.watched_since = caught_up;
    }
    return Status::Ok();
  }

  std::string SubscriptionsPath() const {
    return routes::FillPath(routes::kNotificationSubscriptions, {channel_id_});
  }

  Status Connect() {
    Disconnect();
    {
      std::lock_guard lock(mu_);
      conversations_.clear();  // what was seen before is no proof of anything after a gap
    }
    if (channel_id_.empty()) {
      Result<json> channel = JsonCall(client_, JsonRequest("POST", std::string(routes::kNotificationChannels)));
      if (!channel.ok()) return channel.status();
      channel_id_ = channel->value("id", "");
      connect_uri_ = channel->value("connectUri", "");
      std::vector<std::string> queues = options_.queue_ids;
      if (queues.empty()) {
        Result<json> listed = JsonCall(client_, JsonRequest("GET", Join({routes::kRoutingQueues, "?pageSize=100"}, "")));
        if (!listed.ok()) return listed.status();
        for (const json& queue : listed->value("entities", json::array())) queues.push_back(queue.value("id", ""));
      }
      json topics = json::array();
      for (const std::string& queue : queues) {
        topics.push_back({{"id", Join({"v2.routing.queues.", queue, ".conversations.calls"}, "")}});
      }
      Result<json> subscribed = JsonCall(client_, JsonRequest("PUT", SubscriptionsPath(), topics.dump()));
      if (!subscribed.ok()) {
        channel_id_.clear();
        return subscribed.status();
      }
    }
    const std::optional<WsAddress> address = ParseWsUri(connect_uri_);
    if (!address) return UnavailableError("notifications: cannot read connectUri " + connect_uri_);
    io_ = std::make_unique<asio::io_context>();
    ws_ = std::make_unique<websocket::stream<beast::tcp_stream>>(*io_);
    beast::error_code ec;
    tcp::resolver resolver(*io_);
    const auto endpoints = resolver.resolve(address->host, address->port, ec);
    if (!ec) beast::get_lowest_layer(*ws_).expires_after(options_.sync_timeout);
    if (!ec) beast::get_lowest_layer(*ws_).connect(endpoints, ec);
    if (!ec) ws_->handshake(address->host + ":" + address->port, address->path, ec);
    if (ec) {
      // The channel may have expired: the next try makes a new one.
      channel_id_.clear();
      return UnavailableError("notifications: cannot connect to " + connect_uri_ + ": " + ec.message());
    }
    beast::get_lowest_layer(*ws_).expires_never();
    // A ping waits for its pong each tick: no Nagle delay on top.
    beast::get_lowest_layer(*ws_).socket().set_option(tcp::no_delay(true), ec);
    {
      std::lock_guard lock(mu_);
      broken_ = false;
      pings_ = pongs_ = 0;
    }
    Read();
    thread_ = std::thread([this] { io_->run(); });
    return Status::Ok();
  }

  void Disconnect() {
    if (thread_.joinable()) {
      asio::post(*io_, [this] {
        beast::error_code ignored;
        beast::get_lowest_layer(*ws_).socket().close(ignored);
        io_->stop();
      });
      thread_.join();
    }
    ws_.reset();
    io_.reset();
  }

  bool connected() {
    std::lock_guard lock(mu_);
    return thread_.joinable() && !broken_;
  }

  // A ping, and the wait for its pong: everything the channel had to say before it has arrived.
  Status Sync() {
    uint64_t target = 0;
    {
      std::lock_guard lock(mu_);
      target = ++pings_;
    }
    asio::post(*io_, [this] {
      outbox_.push_back(kPing);
      if (outbox_.size() == 1) Write();
    });
    std::unique_lock lock(mu_);
    if (!changed_.wait_for(lock, options_.sync_timeout, [&] { return pongs_ >= target || broken_; }) ||
        broken_) {
      broken_ = true;  // reconnect next time; nothing seen so far can be trusted across the gap
      return UnavailableError("notifications: the channel did not answer a ping; no silence claimed");
    }
    return Status::Ok();
  }

  void Write() {
    ws_->text(true);
    ws_->async_write(asio::buffer(outbox_.front()), [this](beast::error_code ec, size_t) {
      if (ec) return MarkBroken();
      outbox_.pop_front();
      if (!outbox_.empty()) Write();
    });
  }

  void Read() {
    ws_->async_read(in_, [this](beast::error_code ec, size_t) {
      if (ec) return MarkBroken();
      const std::string text = beast::buffers_to_string(in_.data());
      in_.consume(in_.size());
      Handle(json::parse(text, nullptr, /*allow_exceptions=*/false));
      Read();
    });
  }

  void MarkBroken() {
    std::lock_guard lock(mu_);
    broken_ = true;
    changed_.notify_all();
  }

  void Handle(const json& message) {
    if (!message.is_object()) return;
    const std::string topic = message.value("topicName", "");
    const json body = message.value("eventBody", json::object());
    std::lock_guard lock(mu_);
    if (topic == "channel.metadata") {
      if (body.value("message", "") == "pong") {
        ++pongs_;
        changed_.notify_all();
      }
      return;
    }
    if (topic == "v2.system.socket_closing") {
      broken_ = true;
      changed_.notify_all();
      return;
    }
    if (Between(topic, "v2.routing.queues.", ".conversations.calls")) {
      const std::string cid = body.value("id", "");
      if (cid.empty()) return;
      Conversation& conversation = conversations_[cid];
      ReadLegs(conversation, body);
      return;
    }
    if (auto cid = Between(topic, "v2.conversations.", ".transcription")) {
      const auto found = conversations_.find(*cid);
      if (found == conversations_.end()) return;
      ReadUtterances(found->second, body);
      return;
    }
    if (auto cid = Between(topic, "v2.conversations.", "")) {
      const auto found = conversations_.find(*cid);
      if (found == conversations_.end()) return;
      found->second.start_time = TimeField(body, "startTime");
      if (TimeField(body, "endTime")) found->second.ended = true;
    }
  }

  // A CallConversation: each leg's purpose, state and when it connected.
  static void ReadLegs(Conversation& conversation, const json& body) {
    bool any_live = false;
    for (const json& participant : body.value("participants", json::array())) {
      if (!participant.is_object()) continue;
      Leg& leg = conversation.legs[participant.value("id", "")];
      leg.purpose = participant.value("purpose", "");
      leg.state = participant.value("state", "");
      leg.connected_time = TimeField(participant, "connectedTime");
      any_live = any_live || leg.state == "connected" || leg.state == "alerting";
    }
    if (!any_live) conversation.ended = true;
  }

  // Utterances: one not final when a leg starts being heard, a final one when it stops
  // (offsetMs from the conversation's start plus durationMs: when it was last heard).
  static void ReadUtterances(Conversation& conversation, const json& body) {
    const std::string pid = body.value("communicationId", "");
    for (const json& transcript : body.value("transcripts", json::array())) {
      if (!transcript.is_object()) continue;
      Leg& leg = conversation.legs[pid];
      if (!transcript.value("isFinal", false)) {
        leg.speaking = true;
        continue;
      }
      leg.speaking = false;
      const json alternatives = transcript.value("alternatives", json::array());
      if (!conversation.start_time || alternatives.empty() || !alternatives[0].is_object()) {
        // Cannot place it: treat the leg as heard until it is placed by a later utterance.
        leg.speaking = true;
        continue;
      }
      const auto end = *conversation.start_time +
                       std::chrono::milliseconds(alternatives[0].value("offsetMs", int64_t{0}) +
                                                 alternatives[0].value("durationMs", int64_t{0}));
      leg.last_heard = leg.last_heard ? std::max(*leg.last_heard, end) : end;
    }
  }

  ApiClient& client_;
  Clock& clock_;
  const NotificationsActivitySourceOptions options_;
  std::string channel_id_;
  std::string connect_uri_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer in_;
  std::deque<std::string> outbox_;  // the socket thread's only
  std::thread thread_;

  std::mutex mu_;  // guards what the socket thread writes
  std::condition_variable changed_;
  bool broken_ = false;
  uint64_t pings_ = 0;
  uint64_t pongs_ = 0;
  std::map<std::string, Conversation> conversations_;
};

NotificationsActivitySource::NotificationsActivitySource(ApiClient& client, Clock& clock,
                                                         NotificationsActivitySourceOptions options)
    : impl_(std::make_unique<Impl>(client, clock, std::move(options))) {}
NotificationsActivitySource::~NotificationsActivitySource() = default;

Result<std::vector<Candidate>> NotificationsActivitySource::Candidates(TimePoint now,
                                                                      Duration idle_timeout) {
  return impl_->Candidates(now, idle_timeout);
}

Result<std::optional<TimePoint>> NotificationsActivitySource::SilentSince(
    const std::string& conversation_id, const std::string& participant_id, TimePoint /*now*/) {
  return impl_->ConfirmedSilentSince(conversation_id, participant_id);
}

}  // namespace gcsim::client
