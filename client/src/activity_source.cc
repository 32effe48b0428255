#include "gcsim/client/activity_source.h"

namespace gcsim::client {

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
    if (!leg.flowing || now - leg.silent_since < idle_timeout) continue;
    candidates.push_back({leg.conversation_id, leg.participant_id, leg.purpose, leg.silent_since});
  }
  return candidates;
}

std::optional<bool> SimActivitySource::StillFlowing(const std::string& conversation_id,
                                                    const std::string& participant_id) const {
  if (!listed_valid_) return std::nullopt;
  return listed_.count({conversation_id, participant_id}) > 0;
}

Result<std::vector<Candidate>> SignalsActivitySource::Candidates(TimePoint now,
                                                                 Duration idle_timeout) {
  Result<std::vector<AnalyticsConversation>> conversations =
      client_.QueryLiveConversations(now - options_.lookback, now);
  if (!conversations.ok()) return conversations.status();
  std::vector<Candidate> candidates;
  for (const AnalyticsConversation& conversation : *conversations) {
    if (conversation.conversation_end) continue;
    for (const AnalyticsParticipant& participant : conversation.participants) {
      // Silent only if every open voice segment is silent; since the latest of them began.
      bool any_open = false;
      bool all_silent = true;
      TimePoint silent_since{};
      for (const AnalyticsSession& session : participant.sessions) {
        if (session.media_type != "voice") continue;
        for (const AnalyticsSegment& segment : session.segments) {
          if (segment.segment_end) continue;
          any_open = true;
          all_silent &= segment.segment_type == "hold" || segment.audio_muted;
          silent_since = std::max(silent_since, segment.segment_start);
        }
      }
      if (!any_open || !all_silent || now - silent_since < idle_timeout) continue;
      candidates.push_back({conversation.conversation_id, participant.participant_id,
                            participant.purpose, silent_since});
    }
  }
  return candidates;
}

}  // namespace gcsim::client
