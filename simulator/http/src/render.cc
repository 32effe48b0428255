#include "render.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/common/routes.h"

namespace gcsim::http {
namespace {

// A conference bridge holds at most this many legs in the real platform.
constexpr int kMaxParticipants = 10;

// Whether any of the eight bytes at `bytes` is one a JSON string escapes: a control character,
// '"' or '\\'. Exact: a borrow in the tricks below can only mark a byte above a real match.
bool NeedsEscape(const char* bytes) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHighBits = 0x8080808080808080;
  uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  const auto has_zero_byte = [](uint64_t v) { return (v - kOnes) & ~v & kHighBits; };
  const uint64_t control = (word - 0x20 * kOnes) & ~word & kHighBits;
  const uint64_t quote = has_zero_byte(word ^ ('"' * kOnes));
  const uint64_t backslash = has_zero_byte(word ^ ('\\' * kOnes));
  return (control | quote | backslash) != 0;
}

// Appends JSON to a string as it goes: objects, arrays, keys and scalars, with the commas
// in between. Strings are escaped; everything else gcsim writes is ASCII.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& Open(char bracket) {
    Separate();
    out_ += bracket;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& Close(char bracket) {
    out_ += bracket;
    first_.pop_back();
    return *this;
  }
  // Keys are names gcsim spells, never input: nothing in them to escape.
  JsonWriter& Key(std::string_view key) {
    Separate();
    out_ += '"';
    out_ += key;
    out_ += "\":";
    after_key_ = true;
    return *this;
  }
  JsonWriter& Value(std::string_view text) {
    Separate();
    Quote(text);
    return *this;
  }
  JsonWriter& Value(bool value) { return Literal(value ? "true" : "false"); }
  JsonWriter& Value(int value) { return Literal(std::to_string(value)); }
  JsonWriter& Value(TimePoint t) {  // digits and separators only: nothing to escape
    Separate();
    out_ += '"';
    AppendIso8601(out_, t);
    out_ += '"';
    return *this;
  }
  // Already JSON text: "{}", a dumped object.
  JsonWriter& Literal(std::string_view json) {
    Separate();
    out_ += json;
    return *this;
  }

  template <typename T>
  JsonWriter& Field(std::string_view key, const T& value) {
    return Key(key).Value(value);
  }
  JsonWriter& Field(std::string_view key, const char* value) {
    return Key(key).Value(std::string_view(value));
  }
  // Left out when empty or absent, as the API leaves out unset fields.
  JsonWriter& Optional(std::string_view key, std::string_view value) {
    return value.empty() ? *this : Field(key, value);
  }
  JsonWriter& Optional(std::string_view key, const std::optional<TimePoint>& value) {
    return value ? Field(key, *value) : *this;
  }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  // Copies runs of plain characters whole, found eight bytes at a time: ids and names rarely
  // need escaping, and every response is mostly ids.
  void Quote(std::string_view text) {
    out_ += '"';
    size_t plain = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      while (i + 8 <= text.size() && !NeedsEscape(text.data() + i)) i += 8;
      if (i == text.size()) break;
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(text.substr(plain, i - plain));
      plain = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out_ += escaped;
        }
      }
    }
    out_.append(text.substr(plain));
    out_ += '"';
  }

  std::string& out_;
  std::vector<bool> first_;  // per open object/array: nothing written in it yet
  bool after_key_ = false;
};

// {id, name?, selfUri} for a user or queue the leg belongs to.
void WriteRef(JsonWriter& w, std::string_view key, const std::string& id, const std::string* name,
              std::string_view collection) {
  w.Key(key).Open('{').Field("id", std::string_view(id));
  if (name != nullptr) w.Optional("name", *name);
  w.Field("selfUri", std::string(collection) + id).Close('}');
}

// After-call work, as Participant and CallMediaParticipant both show it.
void WriteAcw(JsonWriter& w, const core::Participant& leg) {
  w.Field("wrapupRequired", leg.acw && core::IsMandatory(leg.acw->prompt));
  if (leg.acw) {
    w.Field("wrapupPrompt", core::ParticipantPromptName(leg.acw->prompt));
    if (leg.acw->timeout) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*leg.acw->timeout);
      w.Key("wrapupTimeoutMs").Literal(std::to_string(ms.count()));
    }
  }
  if (leg.acw || leg.wrapup_skipped) w.Field("wrapupSkipped", leg.wrapup_skipped);
  if (leg.wrapup) {
    w.Key("wrapup").Literal(core::WrapupToJson(*leg.wrapup).dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  w.Optional("startAcwTime", leg.start_acw_time).Optional("endAcwTime", leg.end_acw_time);
}

// The fields Participant and CallMediaParticipant share: the calling and called numbers of a
// leg to an outside party (its address is the caller's on an inbound leg, the called one on an
// outbound leg), and its links to other legs: supervision, and the consult it is the object of.
void WriteLinks(JsonWriter& w, const core::Conversation& conv, const core::Participant& leg) {
  if (!leg.address.empty()) w.Field(leg.direction == core::Direction::kOutbound ? "dnis" : "ani", std::string_view(leg.address.str()));
  if (leg.links) {
    w.Optional("monitoredParticipantId", leg.links->monitored_participant_id)
        .Optional("coachedParticipantId", leg.links->coached_participant_id)
        .Optional("bargedParticipantId", leg.links->barged_participant_id);
  }
  if (conv.consult && conv.consult->object_id == leg.id) {
    w.Field("consultParticipantId", std::string_view(conv.consult->destination_id));
  }
}

// Why a call ended, in the protocol's terms: gcsim's calls all end normally (Q.850 cause 16).
void WriteDisconnectReasons(JsonWriter& w, const core::Participant& leg) {
  if (leg.state != core::LegState::kDisconnected && leg.state != core::LegState::kTerminated) return;
  w.Key("disconnectReasons").Literal(R"([{"type":"q850","code":16,"phrase":"Normal call clearing"}])");
}

// The call state Call and CallMediaParticipant both carry.
void WriteCallState(JsonWriter& w, const core::Participant& leg) {
  w.Field("state", core::ToString(leg.state))
      .Field("direction", core::ToString(leg.direction))
      .Field("held", leg.held)
      .Field("muted", leg.muted)
      .Field("confined", leg.confined)
      .Field("recording", leg.recording)
      .Optional("disconnectType", core::ToString(leg.disconnect_type));
}

// A leg's one voice communication. gcsim models one call per leg, so it carries the leg's id.
void WriteCall(JsonWriter& w, const core::Participant& leg) {
  w.Open('{').Field("id", std::string_view(leg.id));
  WriteCallState(w, leg);
  w.Optional("connectedTime", leg.connected_time)
      .Optional("disconnectedTime", leg.end_time);
  WriteDisconnectReasons(w, leg);
  if (!leg.segments.empty()) {
    w.Key("segments").Open('[');
    for (size_t i = 0; i < leg.segments.size(); ++i) {
      const core::Segment& segment = leg.segments[i];
      w.Open('{').Field("startTime", segment.start).Optional("endTime", segment.end);
      w.Field("type", core::ToString(segment.type));
      if (i + 1 == leg.segments.size()) w.Optional("disconnectType", core::ToString(leg.disconnect_type));
      w.Close('}');
    }
    w.Close(']');
  }
  w.Close('}');
}

void WriteParticipant(JsonWriter& w, const core::Conversation& conv, const core::Participant& leg) {
  w.Open('{')
      .Field("id", std::string_view(leg.id))
      .Optional("name", leg.name.str())
      .Field("startTime", leg.start_time)
      .Optional("connectedTime", leg.connected_time)
      .Optional("endTime", leg.end_time)
      .Field("purpose", core::ToString(leg.purpose))
      .Optional("userId", leg.user_id)
      .Optional("queueId", leg.queue_id)
      .Optional("address", leg.address.str());
  WriteAcw(w, leg);
  WriteLinks(w, conv, leg);
  w.Key("attributes").Literal("{}");
  w.Key("calls").Open('[');
  WriteCall(w, leg);
  w.Close(']').Close('}');
}

void WriteCallMediaParticipant(JsonWriter& w, const core::WorldView& world,
                               const core::Conversation& conv, const core::Participant& leg) {
  w.Open('{')
      .Field("id", std::string_view(leg.id))
      .Optional("name", leg.name.str())
      .Optional("address", leg.address.str())
      .Field("purpose", core::ToString(leg.purpose));
  WriteCallState(w, leg);
  w.Field("startTime", leg.start_time)
      .Optional("connectedTime", leg.connected_time)
      .Optional("endTime", leg.end_time);
  if (!leg.user_id.empty()) {
    const core::User* user = world.FindUser(leg.user_id);
    WriteRef(w, "user", leg.user_id, user ? &user->name : nullptr, "/api/v2/users/");
  }
  if (!leg.queue_id.empty()) {
    const core::Queue* queue = world.FindQueue(leg.queue_id);
    WriteRef(w, "queue", leg.queue_id, queue ? &queue->name : nullptr, "/api/v2/routing/queues/");
  }
  WriteAcw(w, leg);
  WriteLinks(w, conv, leg);
  w.Close('}');
}

// The Conversation model spells recordingState in capitals (ACTIVE, PAUSED, NONE) where
// CallConversation uses none, active, paused: each as its published model says.
std::string UpperCase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

nlohmann::json WrapupCodeJson(const core::WrapupCode& code) {
  return {{"id", code.id}, {"name", code.name}, {"selfUri", std::string(routes::kWrapupCodes) + "/" + code.id}};
}

std::string ConversationUri(const std::string& conversation_id) {
  return routes::FillPath(routes::kConversation, {conversation_id});
}

std::string ConversationText(const core::Conversation& conv) {
  std::string out;
  out.reserve(1024 * conv.participants.size() + 512);
  JsonWriter w(out);
  w.Open('{').Field("id", std::string_view(conv.id)).Optional("name", conv.name);
  w.Field("startTime", conv.start_time).Optional("endTime", conv.end_time);
  w.Key("participants").Open('[');
  for (const core::Participant* leg : conv.participants) WriteParticipant(w, conv, *leg);
  w.Close(']')
      .Field("state", std::string_view(conv.end_time ? "terminated" : "connected"))
      .Field("recordingState", UpperCase(conv.recording_state))
      .Field("maxParticipants", kMaxParticipants)
      .Key("divisions").Literal("[]")
      .Field("selfUri", ConversationUri(conv.id))
      .Close('}');
  return out;
}

std::string CallConversationText(const core::WorldView& world, const core::Conversation& conv) {
  std::string out;
  out.reserve(768 * conv.participants.size() + 256);
  JsonWriter w(out);
  w.Open('{').Field("id", std::string_view(conv.id)).Optional("name", conv.name);
  w.Key("participants").Open('[');
  for (const core::Participant* leg : conv.participants) WriteCallMediaParticipant(w, world, conv, *leg);
  w.Close(']')
      .Field("recordingState", std::string_view(conv.recording_state))
      .Field("maxParticipants", kMaxParticipants)
      .Field("selfUri", routes::FillPath(routes::kCall, {conv.id}))
      .Close('}');
  return out;
}

}  // namespace gcsim::http
