#include "gcsim/client/activity_source.h"

namespace gcsim::client {
namespace {

// Since when the leg has been silent by what analytics shows, on our clock: every open voice
// segment is `hold` or audioMuted, since the latest of them began. nullopt when it has no open
// voice segment or one of them is not silent.
std::optional<TimePoint> SilentSinceBySegments(const AnalyticsParticipant& participant,
                                               const ServerTime& server_time) {
  bool any_open = false;
  TimePoint silent_since{};
  for (const AnalyticsSession& session : participant.sessions) {
    if (session.media_type != "voice") continue;
    for (const AnalyticsSegment& segment : session.segments) {
      if (segment.segment_end) continue;
      if (segment.segment_type != "hold" && !segment.audio_muted) return std::nullopt;
      any_open = true;
      silent_since = std::max(silent_since, segment.segment_start);
    }
  }
  if (!any_open) return std::nullopt;
  return server_time.ToLocal(silent_since);
}

// Analytics trail the world (eventual consistency): whether the conversation itself still shows
// the leg connected and muted or held, so that no leg is dropped on stale analytics alone.
// False when the leg was unmuted, resumed or is gone; an error when the read failed.
Result<bool> StillSilentOnConversation(ApiClient& client, const std::string& conversation_id,
                                       const std::string& participant_id) {
  Result<CallConversation> conversation = client.GetCallConversation(conversation_id);
  if (!conversation.ok()) {
    if (conversation.status().code() == StatusCode::kNotFound) return false;
    return conversation.status();
  }
  const CallParticipant* leg = conversation->FindParticipant(participant_id);
  return leg != nullptr && leg->state == "connected" && (leg->muted || leg->held);
}

}  // namespace

Result<std::vector<Candidate>> SimActivitySource::Candidates(TimePoint now, Duration idle_timeout) {
  listed_valid_ = false;
  listed_.clear();
  Result<std::vector<MediaLeg>> legs = client_.ListSilentMedia(idle_timeout);
  if (!legs.ok()) return legs.status();
  listed_valid_ = true;
  std::vector<Candidate> candidates;
  for (const MediaLeg& leg : *legs) {
    listed_.emplace(leg.conversation_id, leg.participant_id);
    // The server filtered already; this guards the promise never to drop a leg heard within
    // the timeout against a server whose clock or rounding differs.
    const TimePoint silent_since = client_.server_time().ToLocal(leg.silent_since);
    if (!leg.flowing || now - silent_since < idle_timeout) continue;
    candidates.push_back({leg.conversation_id, leg.participant_id, leg.purpose, silent_since});
  }
  return candidates;
}

Result<std::optional<TimePoint>> SimActivitySource::SilentSince(const std::string& conversation_id,
                                                                const std::string& participant_id,
                                                                TimePoint now) {
  Result<MediaLeg> leg = client_.GetLegMedia(conversation_id, participant_id);
  if (!leg.ok()) {
    if (leg.status().code() == StatusCode::kNotFound) return std::optional<TimePoint>();
    return leg.status();
  }
  if (!leg->flowing) return std::optional<TimePoint>();
  // silentSince already accounts for mute and hold; a leg heard right now is silent since now.
  const bool heard_now = leg->speaking && !leg->muted && !leg->held;
  const TimePoint silent_since = client_.server_time().ToLocal(leg->silent_since);
  return std::optional<TimePoint>(heard_now ? std::max(now, silent_since) : silent_since);
}

std::optional<bool> SimActivitySource::StillFlowing(const std::string& conversation_id,
                                                    const std::string& participant_id) const {
  if (!listed_valid_) return std::nullopt;
  return listed_.count({conversation_id, participant_id}) > 0;
}

Result<std::vector<Candidate>> SignalsActivitySource::Candidates(TimePoint now,
                                                                 Duration idle_timeout) {
  // The interval is the server's: conversations start on its clock.
  const TimePoint server_now = client_.server_time().ToServer(now);
  Result<std::vector<AnalyticsConversation>> conversations =
      client_.QueryLiveConversations(server_now - options_.lookback, server_now);
  if (!conversations.ok()) return conversations.status();
  std::vector<Candidate> candidates;
  for (const AnalyticsConversation& conversation : *conversations) {
    if (conversation.conversation_end) continue;
    for (const AnalyticsParticipant& participant : conversation.participants) {
      const std::optional<TimePoint> silent_since =
          SilentSinceBySegments(participant, client_.server_time());
      if (!silent_since || now - *silent_since < idle_timeout) continue;
      // Unconfirmed (or the read failed): not a candidate this tick.
      Result<bool> confirmed =
          StillSilentOnConversation(client_, conversation.conversation_id, participant.participant_id);
      if (!confirmed.ok() || !*confirmed) continue;
      candidates.push_back({conversation.conversation_id, participant.participant_id,
                            participant.purpose, *silent_since});
    }
  }
  return candidates;
}

Result<std::optional<TimePoint>> SignalsActivitySource::SilentSince(
    const std::string& conversation_id, const std::string& participant_id, TimePoint now) {
  const TimePoint server_now = client_.server_time().ToServer(now);
  Result<std::vector<AnalyticsConversation>> conversations =
      client_.QueryLiveConversations(server_now - options_.lookback, server_now, conversation_id);
  if (!conversations.ok()) return conversations.status();
  for (const AnalyticsConversation& conversation : *conversations) {
    if (conversation.conversation_id != conversation_id || conversation.conversation_end) continue;
    for (const AnalyticsParticipant& participant : conversation.participants) {
      if (participant.participant_id != participant_id) continue;
      const std::optional<TimePoint> silent_since =
          SilentSinceBySegments(participant, client_.server_time());
      if (!silent_since) return silent_since;
      Result<bool> confirmed = StillSilentOnConversation(client_, conversation_id, participant_id);
      if (!confirmed.ok()) return confirmed.status();
      return *confirmed ? silent_since : std::optional<TimePoint>();
    }
  }
  return std::optional<TimePoint>();
}

}  // namespace gcsim::client
