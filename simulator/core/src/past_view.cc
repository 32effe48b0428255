#include "gcsim/core/past_view.h"

#include <algorithm>

namespace gcsim::core {

Participant LegAsOf(const Participant& leg, TimePoint as_of) {
  Participant past = leg;
  past.segments.clear();
  for (const Segment& segment : leg.segments) {
    if (segment.start > as_of) break;  // segments are in time order
    Segment& kept = past.segments.emplace_back(segment);
    if (kept.end && *kept.end > as_of) kept.end.reset();
  }
  // Mute and hold as the open segment said then; a leg without segments keeps its flags.
  if (!past.segments.empty() && !past.segments.back().end) {
    past.held = past.segments.back().type == SegmentType::kHold;
    past.muted = past.segments.back().audio_muted;
  }
  if (leg.reads_idle_since && *leg.reads_idle_since > as_of) past.reads_idle_since.reset();
  if (leg.end_time && *leg.end_time > as_of) {
    past.end_time.reset();
    past.disconnect_type = DisconnectType::kNone;
    past.wrapup.reset();
    // Live then: connected if it ever was (the check below undoes a later answer), else ringing.
    past.state = leg.connected_time ? LegState::kConnected : LegState::kAlerting;
  }
  // After-call work as it stood then: not begun, or not yet over (its code not yet entered).
  if (leg.start_acw_time && *leg.start_acw_time > as_of) {
    past.start_acw_time.reset();
    past.wrapup_skipped = false;
  }
  if (leg.end_acw_time && *leg.end_acw_time > as_of) {
    past.end_acw_time.reset();
    past.wrapup.reset();
    past.wrapup_skipped = false;
  }
  if (leg.connected_time && *leg.connected_time > as_of) {
    past.connected_time.reset();
    past.state = LegState::kAlerting;
  }
  return past;
}

namespace {

// Whether anything about `leg` happened after `as_of`; if not, LegAsOf would copy it unchanged.
bool ChangedAfter(const Participant& leg, TimePoint as_of) {
  const auto after = [as_of](OptionalTime t) { return t && *t > as_of; };
  if (leg.start_time > as_of || after(leg.connected_time) || after(leg.end_time) ||
      after(leg.reads_idle_since) || after(leg.start_acw_time) || after(leg.end_acw_time)) {
    return true;
  }
  if (leg.segments.empty()) return false;
  const Segment& last = leg.segments.back();  // segments are in time order
  if (last.start > as_of || after(last.end)) return true;
  return !last.end &&
         (leg.held != (last.type == SegmentType::kHold) || leg.muted != last.audio_muted);
}

}  // namespace

PastView::PastView(const WorldView& live, TimePoint as_of)
    : ForwardingView(live), as_of_(std::min(std::max(as_of, live.loaded_at()), live.now())) {}

const Conversation* PastView::Past(const Conversation& now) const {
  if (now.start_time > as_of_) return nullptr;
  if (const auto it = built_.find(&now); it != built_.end()) return it->second;
  // Most of a large world has not changed within the lag: it is read as it is, uncopied.
  if (!(now.end_time && *now.end_time > as_of_) && now.pending_end == 0 &&
      std::none_of(now.participants.begin(), now.participants.end(),
                   [&](const Participant* leg) { return ChangedAfter(*leg, as_of_); })) {
    return &now;
  }
  Conversation& past = conversations_.emplace_back(now);
  if (past.end_time && *past.end_time > as_of_) past.end_time.reset();
  past.pending_end = 0;
  past.participants.clear();
  for (const Participant* leg : now.participants) {
    if (leg->start_time > as_of_) continue;  // joined later
    past.participants.push_back(&legs_.emplace_back(LegAsOf(*leg, as_of_)));
  }
  built_.emplace(&now, &past);
  return &past;
}

const Conversation* PastView::FindConversation(const std::string& id) const {
  const Conversation* now = inner_.FindConversation(id);
  return now == nullptr ? nullptr : Past(*now);
}

const Participant* PastView::FindParticipant(const std::string& id) const {
  const Participant* now = inner_.FindParticipant(id);
  if (now == nullptr || now->start_time > as_of_) return nullptr;
  const Conversation* conversation = FindConversation(now->conversation_id());
  if (conversation == nullptr) return nullptr;
  for (const Participant* leg : conversation->participants) {
    if (leg->id == id) return leg;
  }
  return nullptr;
}

const std::vector<const Conversation*>& PastView::ConversationsByStart() const {
  if (!by_start_) {
    by_start_.emplace();
    for (const Conversation* now : inner_.ConversationsByStart()) {
      if (now->start_time > as_of_) break;  // ordered by start
      by_start_->push_back(Past(*now));
    }
  }
  return *by_start_;
}

}  // namespace gcsim::core
