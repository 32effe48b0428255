// The world as it looked a while ago, for the faults that show old data (staleAnalytics,
// staleReads) and the world's analyticsLag: the real analytics pipeline and read replicas are
// eventually consistent. Rebuilt from what each leg records (when it joined, connected and
// ended, its segments), so no history is kept: conversations that started later are absent,
// ended ones are live again, open segments end later, and mute and hold read as their segments
// said then.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gcsim/core/simulator.h"

namespace gcsim::core {

// A WorldView over `live` at `as_of` (clamped between live.loaded_at() and live.now()). Valid while `live` is; not
// thread-safe (it builds what it shows on first use).
// The org (users, queues, codes) and the settings are the live view's.
class PastView final : public ForwardingView {
 public:
  PastView(const WorldView& live, TimePoint as_of);

  TimePoint now() const override { return as_of_; }
  const Conversation* FindConversation(const std::string& id) const override;
  const Participant* FindParticipant(const std::string& id) const override;
  const std::vector<const Conversation*>& ConversationsByStart() const override;
  // The live list's, as it was: both are in start order and the past's is a prefix of it.
  const Conversation* ConversationByStartAt(size_t position) const override {
    return Past(*inner_.ConversationsByStart()[position]);
  }

 private:
  // The conversation as it was (nullptr when it had not started): the live one when nothing
  // in it changed since, else a copy built once.
  const Conversation* Past(const Conversation& now) const;

  const TimePoint as_of_;
  mutable std::deque<Conversation> conversations_;
  mutable std::deque<Participant> legs_;
  mutable std::unordered_map<const Conversation*, const Conversation*> built_;
  mutable std::optional<std::vector<const Conversation*>> by_start_;
};

// `leg` as it was at `as_of`, which must be at or after it joined.
Participant LegAsOf(const Participant& leg, TimePoint as_of);

}  // namespace gcsim::core
