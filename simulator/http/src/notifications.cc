#include "notifications.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "gcsim/common/routes.h"
#include "gcsim/common/strings.h"
#include "gcsim/common/time.h"
#include "gcsim/core/api_errors.h"
#include "render.h"

namespace gcsim::http {
namespace {

using nlohmann::json;
namespace codes = core::codes;

constexpr char kHeartbeat[] =
    R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})";
constexpr char kPong[] = R"({"topicName":"channel.metadata","eventBody":{"message":"pong"}})";
constexpr char kClosing[] =
    R"({"topicName":"v2.system.socket_closing","eventBody":{"message":"the channel expired"}})";

// The topics gcsim models, and which conversations each covers.
struct TopicSelector {
  enum class Kind { kConversation, kTranscription, kUser, kQueue, kDetail };
  Kind kind;
  std::string id;
  std::string detail;  // kDetail: "acd.start", "acd.end", "user.start" or "user.end"
};

constexpr const char* kDetailEvents[] = {"acd.start", "acd.end", "user.start", "user.end"};

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = text[i];
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "prefix{id}suffix" with a UUID for {id}.
std::optional<std::string> Between(std::string_view topic, std::string_view prefix,
                                   std::string_view suffix) {
  if (topic.size() != prefix.size() + 36 + suffix.size() || topic.substr(0, prefix.size()) != prefix ||
      topic.substr(prefix.size() + 36) != suffix) {
    return std::nullopt;
  }
  const std::string_view id = topic.substr(prefix.size(), 36);
  if (!IsUuid(id)) return std::nullopt;
  return std::string(id);
}

std::optional<TopicSelector> ParseTopic(std::string_view topic) {
  using Kind = TopicSelector::Kind;
  if (auto id = Between(topic, "v2.conversations.", "")) return TopicSelector{Kind::kConversation, *id};
  if (auto id = Between(topic, "v2.conversations.", ".transcription")) {
    return TopicSelector{Kind::kTranscription, *id};
  }
  if (auto id = Between(topic, "v2.users.", ".conversations.calls")) return TopicSelector{Kind::kUser, *id};
  if (auto id = Between(topic, "v2.routing.queues.", ".conversations.calls")) {
    return TopicSelector{Kind::kQueue, *id};
  }
  for (const char* detail : kDetailEvents) {
    if (auto id = Between(topic, "v2.detail.events.conversation.", std::string(".") + detail)) {
      return TopicSelector{Kind::kDetail, *id, detail};
    }
  }
  return std::nullopt;
}

bool Covers(const TopicSelector& selector, const core::Conversation& conv) {
  for (const core::Participant* leg : conv.participants) {
    if (selector.kind == TopicSelector::Kind::kUser && leg->user_id == selector.id) return true;
    if (selector.kind == TopicSelector::Kind::kQueue && leg->queue_id == selector.id) return true;
  }
  return false;
}

json ChannelJson(const ChannelInfo& channel) {
  return {{"connectUri", channel.connect_uri}, {"id", channel.id},
          {"expires", FormatIso8601(channel.expires)}};
}

json TopicsJson(const std::vector<TopicState>& topics) {
  json entities = json::array();
  for (const TopicState& topic : topics) {
    json entry = {{"id", topic.id}, {"state", topic.permitted ? "Permitted" : "Rejected"}};
    if (!topic.permitted) entry["rejectionReason"] = topic.rejection_reason;
    entities.push_back(std::move(entry));
  }
  return {{"entities", std::move(entities)}};
}

Status ChannelNotFound(const std::string& channel_id) {
  return core::ApiStatus(codes::kNotFound, "Channel " + channel_id + " was not found (it may have expired).");
}

}  // namespace

std::optional<std::string> UnmodelledTopicReason(const std::string& topic) {
  if (ParseTopic(topic)) return std::nullopt;
  return "gcsim does not model this topic; it streams v2.conversations.{id}, "
         "v2.conversations.{id}.transcription, v2.users.{id}.conversations.calls, "
         "v2.routing.queues.{id}.conversations.calls and "
         "v2.detail.events.conversation.{id}.(acd|user).(start|end)";
}

Notifications::Notifications(core::Simulator& sim, uint64_t seed, NotificationLimits limits)
    : sim_(sim), limits_(limits), ids_(seed ^ 0x5eed'0f'c4a2'2e15ULL) {}

void Notifications::set_socket_base(std::string base) {
  std::lock_guard lock(mu_);
  socket_base_ = std::move(base);
}

Notifications::Channel* Notifications::FindOwned(const std::string& channel_id,
                                                 const std::string& client_id) {
  const auto it = channels_.find(channel_id);
  if (it == channels_.end() || it->second.client_id != client_id) return nullptr;
  return &it->second;
}

const Notifications::Channel* Notifications::FindOwned(const std::string& channel_id,
                                                       const std::string& client_id) const {
  const auto it = channels_.find(channel_id);
  if (it == channels_.end() || it->second.client_id != client_id) return nullptr;
  return &it->second;
}

Result<ChannelInfo> Notifications::CreateChannel(const std::string& client_id) {
  const TimePoint now = sim_.clock().Now();
  std::lock_guard lock(mu_);
  size_t owned = 0;
  for (const auto& [id, channel] : channels_) owned += channel.client_id == client_id ? 1 : 0;
  if (owned >= limits_.channels_per_client) {
    return core::ApiStatus(codes::kBadRequest,
                           Join({"Channel limit reached: a client may hold ",
                                 std::to_string(limits_.channels_per_client),
                                 " channels; reuse one (channels expire after 24 hours)."},
                                ""));
  }
  Channel channel;
  channel.info.id = ids_.NextUuid();
  channel.info.connect_uri = socket_base_;
  channel.info.connect_uri += "/channels/";
  channel.info.connect_uri += channel.info.id;
  channel.info.expires = now + limits_.channel_lifetime;
  channel.client_id = client_id;
  const ChannelInfo info = channel.info;
  channels_.emplace(info.id, std::move(channel));
  return info;
}

std::vector<ChannelInfo> Notifications::ChannelsOf(const std::string& client_id) const {
  std::lock_guard lock(mu_);
  std::vector<ChannelInfo> out;
  for (const auto& [id, channel] : channels_) {
    if (channel.client_id == client_id) out.push_back(channel.info);
  }
  return out;
}

bool Notifications::ChannelExists(const std::string& channel_id, const std::string& client_id) const {
  std::lock_guard lock(mu_);
  return FindOwned(channel_id, client_id) != nullptr;
}

Result<std::vector<TopicState>> Notifications::Subscriptions(const std::string& channel_id,
                                                             const std::string& client_id) const {
  std::lock_guard lock(mu_);
  const Channel* channel = FindOwned(channel_id, client_id);
  if (!channel) return ChannelNotFound(channel_id);
  std::vector<TopicState> out;
  for (const Subscription& subscription : channel->topics) out.push_back({subscription.topic});
  return out;
}

// Where a subscription's first look at the world starts from. The server looks every few
// milliseconds of wall time, and a manual clock may have moved on before it does: speech since
// the subscription was made or its socket attached is news, or a client would take the time in
// between for silence. Detail events start at the first look (earlier ones are history).
std::optional<TimePoint> Notifications::WatchStart(const std::string& topic, TimePoint now) {
  const std::optional<TopicSelector> selector = ParseTopic(topic);
  if (selector && selector->kind == TopicSelector::Kind::kTranscription) return now;
  return std::nullopt;
}

Result<std::vector<TopicState>> Notifications::Subscribe(const std::string& channel_id,
                                                         const std::string& client_id,
                                                         const std::vector<std::string>& topics,
                                                         bool replace) {
  std::lock_guard lock(mu_);
  Channel* channel = FindOwned(channel_id, client_id);
  if (!channel) return ChannelNotFound(channel_id);
  std::vector<Subscription> kept = replace ? std::vector<Subscription>{} : channel->topics;
  std::vector<TopicState> answer;
  for (const std::string& topic : topics) {
    if (auto reason = UnmodelledTopicReason(topic)) {
      answer.push_back({topic, false, *reason});
      continue;
    }
    answer.push_back({topic});
    bool already = false;
    for (const Subscription& subscription : kept) already = already || subscription.topic == topic;
    if (!already) {
      kept.push_back({.topic = topic, .last_look = WatchStart(topic, sim_.clock().Now())});
    }
  }
  if (kept.size() > limits_.topics_per_channel) {
    return core::ApiStatus(codes::kBadRequest,
                           Join({"A channel may have at most ",
                                 std::to_string(limits_.topics_per_channel), " topics, not ",
                                 std::to_string(kept.size()), "."},
                                ""));
  }
  channel->topics = std::move(kept);
  return answer;
}

Status Notifications::Unsubscribe(const std::string& channel_id, const std::string& client_id) {
  std::lock_guard lock(mu_);
  Channel* channel = FindOwned(channel_id, client_id);
  if (!channel) return ChannelNotFound(channel_id);
  channel->topics.clear();
  return Status::Ok();
}

std::optional<uint64_t> Notifications::Attach(const std::string& channel_id, SendFn send,
                                              CloseFn close) {
  const TimePoint now = sim_.clock().Now();
  CloseFn replaced;
  uint64_t session = 0;
  {
    std::lock_guard lock(mu_);
    const auto it = channels_.find(channel_id);
    if (it == channels_.end() || now >= it->second.info.expires) return std::nullopt;
    Channel& channel = it->second;
    replaced = std::move(channel.close);
    session = next_session_++;
    channel.session = session;
    channel.send = std::move(send);
    channel.close = std::move(close);
    channel.last_heartbeat = now;
    // A new socket starts from the world as it is now: every covered conversation is news. A
    // burst told under way was known to go on until then.
    for (auto& [leg_id, told] : channel.told) {
      if (told.talking) told = {.heard_at = now, .talking = false};
    }
    for (Subscription& subscription : channel.topics) {
      subscription.sent.clear();
      subscription.voices.clear();
      subscription.last_look = WatchStart(subscription.topic, now);
    }
  }
  if (replaced) replaced();  // one connection per channel
  return session;
}

void Notifications::Detach(const std::string& channel_id, uint64_t session) {
  std::lock_guard lock(mu_);
  const auto it = channels_.find(channel_id);
  if (it == channels_.end() || it->second.session != session) return;
  it->second.session = 0;
  it->second.send = nullptr;
  it->second.close = nullptr;
}

std::optional<std::string> Notifications::Answer(const std::string& message) const {
  const json parsed = json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.value("message", "") == "ping") return std::string(kPong);
  return std::nullopt;
}

std::string Notifications::Frame(const std::string& topic, const std::string& body) {
  std::string text = R"({"topicName":)";
  text += json(topic).dump();
  text += R"(,"version":"2","eventBody":)";
  text += body;
  text += R"(,"metadata":{"CorrelationId":")";
  text += ids_.NextUuid();
  text += "\"}}";
  return text;
}

void Notifications::CollectEvents(Channel& channel, const core::WorldView& world,
                                  std::vector<Outgoing>& out) {
  for (Subscription& subscription : channel.topics) {
    const std::optional<TopicSelector> selector = ParseTopic(subscription.topic);
    if (!selector) continue;
    if (selector->kind == TopicSelector::Kind::kDetail) {
      if (const core::Conversation* conv = world.FindConversation(selector->id)) {
        CollectDetailEvents(subscription, selector->detail, *conv, channel.send, out);
      } else {
        subscription.last_look = world.now();  // a conversation that starts later is news
      }
      continue;
    }
    if (selector->kind == TopicSelector::Kind::kTranscription) {
      if (const core::Conversation* conv = world.FindConversation(selector->id)) {
        CollectUtterances(subscription, *conv, world, channel, out);
      }
      continue;
    }
    std::vector<const core::Conversation*> covered;
    if (selector->kind == TopicSelector::Kind::kConversation) {
      if (const core::Conversation* conv = world.FindConversation(selector->id)) covered.push_back(conv);
    } else {
      for (const core::Conversation* conv : world.ConversationsByStart()) {
        if (Covers(*selector, *conv)) covered.push_back(conv);
      }
    }
    for (const core::Conversation* conv : covered) {
      const auto sent = subscription.sent.find(conv->id);
      // An ended conversation is news once: its last change, then it is forgotten.
      if (conv->end_time && sent == subscription.sent.end()) continue;
      std::string body = selector->kind == TopicSelector::Kind::kConversation
                             ? ConversationText(*conv)
                             : CallConversationText(world, *conv);
      if (sent != subscription.sent.end() && sent->second == body) continue;
      out.push_back({channel.send, Frame(subscription.topic, body)});
      if (conv->end_time) {
        if (sent != subscription.sent.end()) subscription.sent.erase(sent);
      } else {
        subscription.sent[conv->id] = std::move(body);
      }
    }
  }
}

namespace {

int64_t Milliseconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// A TranscriptionTopicTranscriptionMessage with one utterance. gcsim knows when a leg talks, not
// what it says: the transcript is a placeholder.
json Utterance(const core::Conversation& conv, const core::Participant& leg, TimePoint now,
               const std::string& utterance_id, bool final, TimePoint start, Duration duration) {
  const bool external = leg.purpose == core::Purpose::kCustomer || leg.purpose == core::Purpose::kExternal;
  return {{"eventTime", FormatIso8601(now)},
          {"conversationId", conv.id},
          {"communicationId", leg.id},
          {"transcripts",
           json::array({{{"utteranceId", utterance_id},
                         {"isFinal", final},
                         {"channel", external ? "EXTERNAL" : "INTERNAL"},
                         {"alternatives",
                          json::array({{{"confidence", 1.0},
                                        {"offsetMs", Milliseconds(start - conv.start_time)},
                                        {"durationMs", Milliseconds(duration)},
                                        {"transcript", "(speech)"},
                                        {"words", json::array()}}})}}})}};
}

}  // namespace

// Utterances at the edges of each burst of speech others hear: one not final when a leg starts
// being heard, a final one when it stops. A burst that starts and ends between two looks (a
// manual clock advanced past it) is told once, final, ending when the leg was last heard.
void Notifications::CollectUtterances(Subscription& subscription, const core::Conversation& conv,
                                      const core::WorldView& world, Channel& channel,
                                      std::vector<Outgoing>& out) {
  SendFn& send = channel.send;
  const TimePoint now = world.now();
  const TimePoint previous_look = subscription.last_look.value_or(now);
  subscription.last_look = now;
  for (const core::Participant* leg : conv.participants) {
    const core::MediaState media = world.Media(*leg);
    const bool heard = media.last_heard_at && *media.last_heard_at == now && media.flowing;
    Voice& voice = subscription.voices[leg->id];
    const bool first_look = !voice.seen;
    voice.seen = true;
    const bool news = media.last_heard_at && (!voice.reported || *media.last_heard_at > *voice.reported);
    if (heard && !voice.heard) {
      voice.burst_start = now;
      out.push_back({send, Frame(subscription.topic, Utterance(conv, *leg, now, ids_.NextUuid(), false,
                                                               now, Duration::zero()).dump())});
      channel.told[leg->id] = {.heard_at = now, .talking = true};
    } else if (!heard && voice.heard) {
      const TimePoint end = media.last_heard_at.value_or(voice.burst_start);
      out.push_back({send, Frame(subscription.topic, Utterance(conv, *leg, now, ids_.NextUuid(), true,
                                                               voice.burst_start, end - voice.burst_start).dump())});
      channel.told[leg->id] = {.heard_at = end, .talking = false};
    } else if (!heard && news && (!first_look || *media.last_heard_at > previous_look)) {
      const TimePoint end = *media.last_heard_at;
      const TimePoint start = std::min(previous_look, end);
      out.push_back({send, Frame(subscription.topic, Utterance(conv, *leg, now, ids_.NextUuid(), true,
                                                               start, end - start).dump())});
      channel.told[leg->id] = {.heard_at = end, .talking = false};
    }
    voice.heard = heard;
    voice.reported = media.last_heard_at;
  }
  if (conv.end_time && !subscription.ended_told) {
    subscription.ended_told = true;
    const json ended = {{"eventTime", FormatIso8601(now)},
                        {"conversationId", conv.id},
                        {"status", {{"status", "SESSION_ENDED"},
                                    {"offsetMs", Milliseconds(*conv.end_time - conv.start_time)}}}};
    out.push_back({send, Frame(subscription.topic, ended.dump())});
  }
}

namespace {

int64_t EpochMilliseconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Detail events spell enums in capitals: "transfer.conference" -> "TRANSFER_CONFERENCE".
std::string DetailEnum(std::string_view value) {
  std::string out(value);
  for (char& c : out) c = c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// What every detail event of a voice leg carries (the published *DetailEventTopic* models).
json DetailEventBase(const core::Conversation& conv, const core::Participant& leg, TimePoint at) {
  json body = {{"eventTime", EpochMilliseconds(at)},
               {"conversationId", conv.id},
               {"participantId", leg.id},
               {"sessionId", leg.id},  // the leg's call id, which gcsim gives the participant's id
               {"mediaType", "VOICE"},
               {"provider", "Edge"},
               {"direction", DetailEnum(core::ToString(leg.direction))}};
  for (const core::Participant* other : conv.participants) {
    if (other->purpose == core::Purpose::kCustomer && !other->address.empty()) {
      body["ani"] = other->address.str();
      break;
    }
  }
  if (!leg.queue_id.empty()) body["queueId"] = leg.queue_id;
  return body;
}

bool IsUserLeg(const core::Participant& leg) {
  return !leg.user_id.empty() &&
         (leg.purpose == core::Purpose::kAgent || leg.purpose == core::Purpose::kUser);
}

}  // namespace

// Detail events: one per leg start or end of the kind the topic names, once, in time order. What
// happened before the first look (the socket connected) is history and is not told.
void Notifications::CollectDetailEvents(Subscription& subscription, const std::string& detail,
                                        const core::Conversation& conv, SendFn& send,
                                        std::vector<Outgoing>& out) {
  const bool first_look = !subscription.last_look;
  subscription.last_look = sim_.clock().Now();
  const bool acd = detail.rfind("acd.", 0) == 0;
  const bool end = detail.ends_with(".end");
  std::vector<std::pair<TimePoint, json>> events;
  for (const core::Participant* leg : conv.participants) {
    if (acd ? leg->purpose != core::Purpose::kAcd : !IsUserLeg(*leg)) continue;
    if (end && !leg->end_time) continue;
    if (subscription.sent.count(leg->id)) continue;
    subscription.sent[leg->id] = detail;
    if (first_look) continue;
    const TimePoint at = end ? *leg->end_time : leg->start_time;
    json body = DetailEventBase(conv, *leg, at);
    if (!acd) body["userId"] = leg->user_id;
    if (end) body["disconnectType"] = DetailEnum(leg->disconnect_type == core::DisconnectType::kNone
                                                      ? "system"
                                                      : core::ToString(leg->disconnect_type));
    if (end && acd) {
      body["connectedDurationMs"] = Milliseconds(*leg->end_time - leg->start_time);
      // Answered when a person on the same queue took the call; otherwise abandoned.
      body["acdOutcome"] = "ABANDONED";
      for (const core::Participant* other : conv.participants) {
        if (IsUserLeg(*other) && other->queue_id == leg->queue_id && other->connected_time) {
          body["acdOutcome"] = "ANSWERED";
          body["answeredUserId"] = other->user_id;
          break;
        }
      }
    } else if (end) {
      if (leg->connected_time) {
        body["alertingDurationMs"] = Milliseconds(*leg->connected_time - leg->start_time);
        body["interactingDurationMs"] = Milliseconds(*leg->end_time - *leg->connected_time);
      } else {
        body["alertingDurationMs"] = Milliseconds(*leg->end_time - leg->start_time);
      }
    }
    events.emplace_back(at, std::move(body));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, body] : events) out.push_back({send, Frame(subscription.topic, body.dump())});
}

void Notifications::ForgetExpired(TimePoint now, std::vector<Outgoing>& out,
                                  std::vector<CloseFn>& closes) {
  for (auto it = channels_.begin(); it != channels_.end();) {
    if (now < it->second.info.expires) {
      ++it;
      continue;
    }
    if (it->second.session) {
      out.push_back({it->second.send, kClosing});
      closes.push_back(it->second.close);
    }
    it = channels_.erase(it);
  }
}

void Notifications::Pump() {
  std::vector<Outgoing> out;
  std::vector<CloseFn> closes;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = sim_.clock().Now();
    ForgetExpired(now, out, closes);
    bool attached = false;
    for (const auto& [id, channel] : channels_) attached = attached || channel.session != 0;
    if (attached) {
      sim_.Read([&](const core::WorldView& world) {
        for (auto& [id, channel] : channels_) {
          if (!channel.session) continue;
          CollectEvents(channel, world, out);
          if (now - channel.last_heartbeat >= limits_.heartbeat_every) {
            out.push_back({channel.send, kHeartbeat});
            channel.last_heartbeat = now;
          }
        }
      });
    }
  }
  for (Outgoing& message : out) message.send(std::move(message.text));
  for (CloseFn& close : closes) close();
}

std::optional<TimePoint> Notifications::HeardTold(const std::string& client_id,
                                                  const std::string& leg_id, TimePoint at) const {
  std::lock_guard lock(mu_);
  std::optional<TimePoint> latest;
  for (const auto& [id, channel] : channels_) {
    if (channel.client_id != client_id) continue;
    const auto it = channel.told.find(leg_id);
    if (it == channel.told.end()) continue;
    const TimePoint heard =
        it->second.talking ? std::max(at, it->second.heard_at) : it->second.heard_at;
    latest = std::max(latest.value_or(heard), heard);
  }
  return latest;
}

void Notifications::ForgetTold() {
  std::lock_guard lock(mu_);
  for (auto& [id, channel] : channels_) channel.told.clear();
}

// --- routes ---------------------------------------------------------------------------------

namespace {

// A body of ChannelTopic objects: [{"id": "v2.users.{id}.conversations.calls"}, ...].
Result<std::vector<std::string>> ReadTopics(const json& body) {
  std::vector<std::string> topics;
  for (size_t i = 0; i < body.size(); ++i) {
    const json& item = body[i];
    if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) {
      return core::ApiStatus(codes::kBadRequest,
                             Join({"[", std::to_string(i),
                                   "]: expected a topic object such as "
                                   "{\"id\":\"v2.users.{id}.conversations.calls\"}."},
                                  ""));
    }
    topics.push_back(item["id"].get<std::string>());
  }
  return topics;
}

Reply SubscribeReply(Notifications& hub, Exchange& ex, bool replace) {
  auto topics = ReadTopics(ex.json);
  if (!topics.ok()) return ErrorReply(ex, topics.status());
  auto answer = hub.Subscribe(ex.Param("channelId"), ex.caller.client_id, *topics, replace);
  if (!answer.ok()) return ErrorReply(ex, answer.status());
  ex.journal.effect = Join({replace ? "subscriptions replaced: " : "subscriptions added: ",
                           std::to_string(topics->size()), " topics"},
                          "");
  return JsonReply(TopicsJson(*answer));
}

}  // namespace

void AddNotificationRoutes(Router& router, Notifications& hub) {
  Notifications* h = &hub;
  const auto api = [&router](std::string method, std::string_view pattern, BodyKind body,
                             Handler handler) {
    router.Add({.method = std::move(method),
                .pattern = std::string(pattern),
                .access = Access::kBearer,
                .body = body,
                .handler = std::move(handler)});
  };
  api("POST", routes::kNotificationChannels, BodyKind::kOptionalJson, [h](Exchange& ex) {
    auto channel = h->CreateChannel(ex.caller.client_id);
    if (!channel.ok()) return ErrorReply(ex, channel.status());
    ex.journal.effect = "channel created: " + channel->id;
    return JsonReply(ChannelJson(*channel));
  });
  api("GET", routes::kNotificationChannels, BodyKind::kNone, [h](Exchange& ex) {
    json entities = json::array();
    for (const ChannelInfo& channel : h->ChannelsOf(ex.caller.client_id)) {
      entities.push_back(ChannelJson(channel));
    }
    return JsonReply({{"entities", std::move(entities)}});
  });
  // HEAD tells whether a channel is still there; the API has no GET of one channel.
  api("HEAD", routes::kNotificationChannel, BodyKind::kNone, [h](Exchange& ex) {
    const std::string& id = ex.Param("channelId");
    return h->ChannelExists(id, ex.caller.client_id) ? EmptyReply(200)
                                                      : ErrorReply(ex, ChannelNotFound(id));
  });
  api("GET", routes::kNotificationSubscriptions, BodyKind::kNone, [h](Exchange& ex) {
    auto topics = h->Subscriptions(ex.Param("channelId"), ex.caller.client_id);
    return topics.ok() ? JsonReply(TopicsJson(*topics)) : ErrorReply(ex, topics.status());
  });
  api("PUT", routes::kNotificationSubscriptions, BodyKind::kJsonArray,
      [h](Exchange& ex) { return SubscribeReply(*h, ex, /*replace=*/true); });
  api("POST", routes::kNotificationSubscriptions, BodyKind::kJsonArray,
      [h](Exchange& ex) { return SubscribeReply(*h, ex, /*replace=*/false); });
  api("DELETE", routes::kNotificationSubscriptions, BodyKind::kNone, [h](Exchange& ex) {
    const Status done = h->Unsubscribe(ex.Param("channelId"), ex.caller.client_id);
    if (!done.ok()) return ErrorReply(ex, done);
    ex.journal.effect = "subscriptions removed";
    return EmptyReply(200);
  });
  api("GET", routes::kNotificationTopics, BodyKind::kNone, [](Exchange&) {
    const char* const topics[][2] = {
        {"v2.conversations.{id}", "A conversation: every change to it or its participants."},
        {"v2.conversations.{id}.transcription",
         "When each leg starts and stops being heard (gcsim has no words: the transcript is a placeholder)."},
        {"v2.users.{id}.conversations.calls", "The calls a user takes part in."},
        {"v2.routing.queues.{id}.conversations.calls", "The calls of a queue."},
        {"v2.detail.events.conversation.{id}.acd.start", "An ACD leg of the conversation starts (enters the queue)."},
        {"v2.detail.events.conversation.{id}.acd.end", "An ACD leg ends: acdOutcome ANSWERED (answeredUserId) or ABANDONED."},
        {"v2.detail.events.conversation.{id}.user.start", "A user's leg joins the conversation."},
        {"v2.detail.events.conversation.{id}.user.end", "A user's leg ends, with its disconnectType and durations."},
    };
    json entities = json::array();
    for (const auto& [id, description] : topics) {
      entities.push_back({{"id", id}, {"description", description}, {"requiresPermissions", json::array()}});
    }
    return JsonReply({{"entities", std::move(entities)}});
  });
}

}  // namespace gcsim::http
