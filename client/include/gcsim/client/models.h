// The parts of Genesys (and gcsim control-plane) responses the client reads. Plain values;
// fields the reaper has no use for are not modelled.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gcsim/common/time.h"

namespace gcsim::client {

// GET /api/v2/conversations/calls/{cid}: one CallMediaParticipant.
struct CallParticipant {
  std::string id;
  std::string purpose;  // agent, user, customer, external, acd, ivr
  std::string state;    // alerting, connected, disconnected, terminated, ...
  bool held = false;
  bool muted = false;
  bool confined = false;
  std::string user_id;   // "" when the leg has no user
  std::string queue_id;  // "" when the leg has no queue
  std::string disconnect_type;
  std::optional<TimePoint> start_time;
  std::optional<TimePoint> connected_time;
  std::optional<TimePoint> end_time;
};

// GET /api/v2/conversations/calls/{cid}.
struct CallConversation {
  std::string id;
  std::vector<CallParticipant> participants;
  std::string correlation_id;  // of the response, for logs

  // Over when every participant is terminated (a call conversation has no endTime).
  bool Ended() const;
  // The participant with that id, or null.
  const CallParticipant* FindParticipant(const std::string& participant_id) const;
};

// POST /api/v2/analytics/conversations/details/query: conversations[].participants[]...
struct AnalyticsSegment {
  std::string segment_type;  // interact, hold, alert, wrapup, ...
  TimePoint segment_start;
  std::optional<TimePoint> segment_end;  // absent while the segment is open
  bool audio_muted = false;
  std::string queue_id;
};

struct AnalyticsSession {
  std::string media_type;  // voice, ...
  std::string session_id;
  std::vector<AnalyticsSegment> segments;
};

struct AnalyticsParticipant {
  std::string participant_id;
  std::string purpose;
  std::string user_id;
  std::vector<AnalyticsSession> sessions;
};

struct AnalyticsConversation {
  std::string conversation_id;
  TimePoint conversation_start;
  std::optional<TimePoint> conversation_end;
  std::vector<AnalyticsParticipant> participants;
};

// GET /sim/v1/media: one leg whose media flows and that has been silent a while.
struct MediaLeg {
  std::string conversation_id;
  std::string participant_id;
  std::string purpose;
  std::string state;
  bool speaking = false;
  bool flowing = false;
  bool muted = false;
  bool held = false;
  std::optional<TimePoint> last_heard_at;  // never heard: absent
  TimePoint silent_since;
  Duration silent_for{0};
};

// What a participant PATCH answered: 202 (accepted, takes effect later) or 204 (the real API's
// answer when the body changed nothing).
struct PatchReply {
  int http_status = 0;
  std::string correlation_id;
  std::string ignored_fields;  // gcsim's X-Gcsim-Ignored-Fields, "" elsewhere
};

}  // namespace gcsim::client
