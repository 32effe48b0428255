#include "render.h"

namespace gcsim::http {
namespace {

using nlohmann::json;

// A conference bridge holds at most this many legs in the real platform.
constexpr int kMaxParticipants = 10;

void PutString(json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

void PutTime(json& out, const char* key, const std::optional<TimePoint>& value) {
  if (value) out[key] = FormatIso8601(*value);
}

json UserRef(const core::WorldView& world, const std::string& id) {
  json ref = {{"id", id}, {"selfUri", "/api/v2/users/" + id}};
  if (const core::User* user = world.FindUser(id); user != nullptr) {
    PutString(ref, "name", user->name);
  }
  return ref;
}

json QueueRef(const core::WorldView& world, const std::string& id) {
  json ref = {{"id", id}, {"selfUri", "/api/v2/routing/queues/" + id}};
  if (const core::Queue* queue = world.FindQueue(id); queue != nullptr) {
    PutString(ref, "name", queue->name);
  }
  return ref;
}

// The fields Participant and CallMediaParticipant share.
void PutLinks(json& out, const core::Participant& leg) {
  PutString(out, "monitoredParticipantId", leg.monitored_participant_id);
  PutString(out, "coachedParticipantId", leg.coached_participant_id);
  PutString(out, "bargedParticipantId", leg.barged_participant_id);
}

// A leg's one voice communication. gcsim models one call per leg, so it carries the leg's id.
json CallJson(const core::Participant& leg) {
  json call = {{"id", leg.id},
               {"state", core::ToString(leg.state)},
               {"direction", leg.direction},
               {"held", leg.held},
               {"muted", leg.muted},
               {"confined", leg.confined},
               {"recording", leg.recording}};
  PutString(call, "disconnectType", leg.disconnect_type);
  PutTime(call, "connectedTime", leg.connected_time);
  PutTime(call, "disconnectedTime", leg.end_time);
  if (!leg.segments.empty()) {
    json segments = json::array();
    for (size_t i = 0; i < leg.segments.size(); ++i) {
      const core::Segment& segment = leg.segments[i];
      json item = {{"startTime", FormatIso8601(segment.start)}, {"type", segment.type}};
      PutTime(item, "endTime", segment.end);
      if (i + 1 == leg.segments.size()) PutString(item, "disconnectType", leg.disconnect_type);
      segments.push_back(std::move(item));
    }
    call["segments"] = std::move(segments);
  }
  return call;
}

json ParticipantJson(const core::Participant& leg) {
  json out = {{"id", leg.id},
              {"startTime", FormatIso8601(leg.start_time)},
              {"purpose", core::ToString(leg.purpose)},
              {"wrapupRequired", false},
              {"attributes", json::object()},
              {"calls", json::array({CallJson(leg)})}};
  PutString(out, "name", leg.name);
  PutTime(out, "connectedTime", leg.connected_time);
  PutTime(out, "endTime", leg.end_time);
  PutString(out, "userId", leg.user_id);
  PutString(out, "queueId", leg.queue_id);
  PutString(out, "address", leg.address);
  if (leg.wrapup) out["wrapup"] = *leg.wrapup;
  PutLinks(out, leg);
  return out;
}

json CallMediaParticipantJson(const core::WorldView& world, const core::Participant& leg) {
  json out = {{"id", leg.id},
              {"purpose", core::ToString(leg.purpose)},
              {"state", core::ToString(leg.state)},
              {"direction", leg.direction},
              {"held", leg.held},
              {"muted", leg.muted},
              {"confined", leg.confined},
              {"recording", leg.recording},
              {"startTime", FormatIso8601(leg.start_time)},
              {"wrapupRequired", false}};
  PutString(out, "name", leg.name);
  PutString(out, "address", leg.address);
  PutString(out, "disconnectType", leg.disconnect_type);
  PutTime(out, "connectedTime", leg.connected_time);
  PutTime(out, "endTime", leg.end_time);
  if (!leg.user_id.empty()) out["user"] = UserRef(world, leg.user_id);
  if (!leg.queue_id.empty()) out["queue"] = QueueRef(world, leg.queue_id);
  PutLinks(out, leg);
  return out;
}

}  // namespace

std::string ConversationUri(const std::string& conversation_id) {
  return "/api/v2/conversations/" + conversation_id;
}

json ConversationJson(const core::Conversation& conv) {
  json participants = json::array();
  for (const core::Participant* leg : conv.participants) {
    participants.push_back(ParticipantJson(*leg));
  }
  json out = {{"id", conv.id},
              {"startTime", FormatIso8601(conv.start_time)},
              {"participants", std::move(participants)},
              {"recordingState", conv.recording_state},
              {"maxParticipants", kMaxParticipants},
              {"divisions", json::array()},
              {"selfUri", ConversationUri(conv.id)}};
  PutString(out, "name", conv.name);
  PutTime(out, "endTime", conv.end_time);
  return out;
}

json CallConversationJson(const core::WorldView& world, const core::Conversation& conv) {
  json participants = json::array();
  for (const core::Participant* leg : conv.participants) {
    participants.push_back(CallMediaParticipantJson(world, *leg));
  }
  json out = {{"id", conv.id},
              {"participants", std::move(participants)},
              {"recordingState", conv.recording_state},
              {"maxParticipants", kMaxParticipants},
              {"selfUri", "/api/v2/conversations/calls/" + conv.id}};
  PutString(out, "name", conv.name);
  return out;
}

}  // namespace gcsim::http
