#include "json_models.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "gcsim/common/json.h"

namespace gcsim::client {
namespace {

using nlohmann::json;

// Thrown inside this file only, caught by Parse() below: keeps field access readable.
class Malformed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

const json* Find(const json& j, const char* key) {
  if (!j.is_object()) throw Malformed(std::string("expected an object holding \"") + key + "\"");
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

const json& Require(const json& j, const char* key) {
  const json* value = Find(j, key);
  if (value == nullptr) throw Malformed(std::string("missing \"") + key + "\"");
  return *value;
}

std::string String(const json& j, const char* key, bool required = false) {
  const json* value = required ? &Require(j, key) : Find(j, key);
  if (value == nullptr) return {};
  if (!value->is_string()) throw Malformed(std::string("\"") + key + "\" is not a string");
  return value->get<std::string>();
}

bool Bool(const json& j, const char* key) {
  const json* value = Find(j, key);
  if (value == nullptr) return false;
  if (!value->is_boolean()) throw Malformed(std::string("\"") + key + "\" is not a boolean");
  return value->get<bool>();
}

int64_t Int(const json& j, const char* key) {
  const json& value = Require(j, key);
  if (!value.is_number()) throw Malformed(std::string("\"") + key + "\" is not a number");
  return value.get<int64_t>();
}

std::optional<TimePoint> OptTime(const json& j, const char* key) {
  const json* value = Find(j, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) throw Malformed(std::string("\"") + key + "\" is not a timestamp");
  auto parsed = ParseIso8601(value->get<std::string>());
  if (!parsed.ok()) throw Malformed(std::string("\"") + key + "\": " + parsed.status().message());
  return *parsed;
}

TimePoint Time(const json& j, const char* key) {
  Require(j, key);
  return *OptTime(j, key);
}

// The array at `key`; an absent or null one reads as empty.
const json& Array(const json& j, const char* key) {
  static const json kEmpty = json::array();
  const json* value = Find(j, key);
  if (value == nullptr) return kEmpty;
  if (!value->is_array()) throw Malformed(std::string("\"") + key + "\" is not an array");
  return *value;
}

// The id inside {"id": ...} references such as "user" and "queue".
std::string RefId(const json& j, const char* key) {
  const json* ref = Find(j, key);
  return ref == nullptr ? std::string() : String(*ref, "id");
}

template <typename T, typename Fn>
Result<T> Parse(std::string_view body, const char* what, Fn fn) {
  // A reply is untrusted input too (a real org, a proxy, gcsim): nesting stays bounded.
  Result<json> parsed = ParseJson(body);
  if (!parsed.ok()) {
    return InternalError(std::string("malformed ") + what + ": " + parsed.status().message(),
                         "malformed.response");
  }
  const json& j = *parsed;
  try {
    return fn(j);
  } catch (const std::exception& e) {  // Malformed and nlohmann's own
    return InternalError(std::string("malformed ") + what + ": " + e.what(), "malformed.response");
  }
}

}  // namespace

Result<TokenReply> ParseTokenReply(std::string_view body) {
  return Parse<TokenReply>(body, "token response", [](const json& j) {
    TokenReply reply;
    reply.access_token = String(j, "access_token", /*required=*/true);
    if (reply.access_token.empty()) throw Malformed("empty \"access_token\"");
    const int64_t seconds = Int(j, "expires_in");
    if (seconds <= 0) throw Malformed("\"expires_in\" is not positive");
    reply.expires_in = std::chrono::seconds(seconds);
    return reply;
  });
}

Result<CallConversation> ParseCallConversation(std::string_view body) {
  return Parse<CallConversation>(body, "call conversation", [](const json& j) {
    CallConversation conversation;
    conversation.id = String(j, "id", /*required=*/true);
    for (const json& p : Array(j, "participants")) {
      CallParticipant participant;
      participant.id = String(p, "id", /*required=*/true);
      participant.purpose = String(p, "purpose");
      participant.state = String(p, "state");
      participant.held = Bool(p, "held");
      participant.muted = Bool(p, "muted");
      participant.confined = Bool(p, "confined");
      participant.user_id = RefId(p, "user");
      participant.queue_id = RefId(p, "queue");
      participant.disconnect_type = String(p, "disconnectType");
      participant.start_time = OptTime(p, "startTime");
      participant.connected_time = OptTime(p, "connectedTime");
      participant.end_time = OptTime(p, "endTime");
      conversation.participants.push_back(std::move(participant));
    }
    return conversation;
  });
}

Result<AnalyticsPage> ParseAnalyticsPage(std::string_view body) {
  return Parse<AnalyticsPage>(body, "analytics query response", [](const json& j) {
    AnalyticsPage page;
    // The real API omits both fields when nothing matches.
    page.total_hits = Find(j, "totalHits") ? static_cast<int>(Int(j, "totalHits")) : 0;
    for (const json& c : Array(j, "conversations")) {
      AnalyticsConversation conversation;
      conversation.conversation_id = String(c, "conversationId", /*required=*/true);
      conversation.conversation_start = Time(c, "conversationStart");
      conversation.conversation_end = OptTime(c, "conversationEnd");
      for (const json& p : Array(c, "participants")) {
        AnalyticsParticipant participant;
        participant.participant_id = String(p, "participantId", /*required=*/true);
        participant.purpose = String(p, "purpose");
        participant.user_id = String(p, "userId");
        for (const json& s : Array(p, "sessions")) {
          AnalyticsSession session;
          session.media_type = String(s, "mediaType");
          session.session_id = String(s, "sessionId");
          for (const json& g : Array(s, "segments")) {
            AnalyticsSegment segment;
            segment.segment_type = String(g, "segmentType");
            segment.segment_start = Time(g, "segmentStart");
            segment.segment_end = OptTime(g, "segmentEnd");
            segment.audio_muted = Bool(g, "audioMuted");
            segment.queue_id = String(g, "queueId");
            session.segments.push_back(std::move(segment));
          }
          participant.sessions.push_back(std::move(session));
        }
        conversation.participants.push_back(std::move(participant));
      }
      page.conversations.push_back(std::move(conversation));
    }
    return page;
  });
}

namespace {

MediaLeg MediaLegFrom(const json& e) {
  MediaLeg leg;
  leg.conversation_id = String(e, "conversationId", /*required=*/true);
  leg.participant_id = String(e, "participantId", /*required=*/true);
  leg.purpose = String(e, "purpose");
  leg.state = String(e, "state");
  leg.speaking = Bool(e, "speaking");
  leg.flowing = Bool(e, "flowing");
  leg.muted = Bool(e, "muted");
  leg.held = Bool(e, "held");
  leg.last_heard_at = OptTime(e, "lastHeardAt");
  leg.silent_since = Time(e, "silentSince");
  leg.silent_for = Duration(Int(e, "silentForMs"));
  return leg;
}

}  // namespace

Result<MediaPage> ParseMediaPage(std::string_view body) {
  return Parse<MediaPage>(body, "media view", [](const json& j) {
    MediaPage page;
    page.page_number = static_cast<int>(Int(j, "pageNumber"));
    page.page_count = static_cast<int>(Int(j, "pageCount"));
    for (const json& e : Array(j, "entities")) page.entities.push_back(MediaLegFrom(e));
    return page;
  });
}

Result<MediaLeg> ParseMediaLeg(std::string_view body) {
  return Parse<MediaLeg>(body, "leg media", [](const json& j) { return MediaLegFrom(j); });
}

ErrorInfo ParseErrorInfo(std::string_view body) {
  Result<json> parsed = ParseJson(body);
  const json j = parsed.ok() ? std::move(parsed).value() : json();
  ErrorInfo info;
  if (!j.is_object()) return info;
  const auto text = [&j](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  info.code = text("code");
  info.message = text("message");
  if (info.code.empty()) info.code = text("error");  // the OAuth server's shape
  if (info.message.empty()) info.message = text("error_description");
  if (info.message.empty()) info.message = text("description");
  return info;
}

}  // namespace gcsim::client
