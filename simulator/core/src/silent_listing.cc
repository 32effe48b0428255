#include "silent_listing.h"

#include <algorithm>

namespace gcsim::core {
namespace {

SilentLeg ToSilentLeg(const Participant& leg, const MediaState& media) {
  return {leg.conversation_id(), leg.id, leg.purpose, leg.state, leg.muted, leg.held, media};
}

// The first bytes of `id` as a number that orders as the bytes do.
uint64_t IdPrefix(const std::string& id) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < sizeof prefix; ++i) {
    prefix = prefix << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
  }
  return prefix;
}

// Orders by silent_since then participant id. Sorts small keys and moves each leg once: sorting
// the legs themselves moved their strings around a dozen times each. Legs silent since the
// same instant (every idle leg of a world loaded at once) tie on it: the key carries the id's
// first bytes, so that the ids themselves, scattered on the heap, are read only on a tie there.
void SortListing(std::vector<SilentLeg>& listing) {
  struct Key {
    TimePoint silent_since;
    uint64_t id_prefix;
    uint32_t index;
  };
  std::vector<Key> keys;
  keys.reserve(listing.size());
  for (size_t i = 0; i < listing.size(); ++i) {
    keys.push_back({listing[i].media.silent_since, IdPrefix(listing[i].participant_id),
                    static_cast<uint32_t>(i)});
  }
  std::sort(keys.begin(), keys.end(), [&listing](const Key& a, const Key& b) {
    if (a.silent_since != b.silent_since) return a.silent_since < b.silent_since;
    if (a.id_prefix != b.id_prefix) return a.id_prefix < b.id_prefix;
    return listing[a.index].participant_id < listing[b.index].participant_id;
  });
  std::vector<SilentLeg> sorted;
  sorted.reserve(listing.size());
  for (const Key& key : keys) sorted.push_back(std::move(listing[key.index]));
  listing = std::move(sorted);
}

// Walks the bursts of speech that `leg`'s script still has ahead of `now`, in order: the
// longest silence between them and the instant the last one ends (see SilenceIndex).
class SilenceAhead {
 public:
  explicit SilenceAhead(TimePoint silent_since) : silent_from_(silent_since) {}

  void Burst(TimePoint start, std::optional<TimePoint> end) {
    if (start > silent_from_) longest_gap_ = std::max(longest_gap_, start - silent_from_);
    if (!end) {
      endless_ = true;
    } else {
      silent_from_ = std::max(silent_from_, *end);
    }
  }
  Duration longest_gap() const { return longest_gap_; }
  std::optional<TimePoint> quiet_since() const {
    return endless_ ? std::nullopt : std::optional(silent_from_);
  }

 private:
  TimePoint silent_from_;
  Duration longest_gap_{};
  bool endless_ = false;
};

SilenceAhead Foresee(const Participant& leg, TimePoint now) {
  SilenceAhead ahead(ComputeMedia(leg, now).silent_since);
  if (!IsAudible(leg)) return ahead;  // what it says is not heard: quiet already
  const SpeechScript& script = leg.speech;
  const TimePoint anchor = leg.speech_anchor;
  switch (script.kind) {
    case SpeechScript::Kind::kNever:
      break;
    case SpeechScript::Kind::kAlways:
      ahead.Burst(anchor, std::nullopt);
      break;
    case SpeechScript::Kind::kPeriodic: {
      if (script.every <= Duration::zero() || script.talk_for <= Duration::zero()) break;
      const TimePoint first = anchor + script.offset;
      // The burst under way or next: one gap to it, then the same gap every period.
      TimePoint next = first;
      if (now > first) next = first + (now - first) / script.every * script.every;
      if (next + script.talk_for <= now) next += script.every;
      ahead.Burst(next, next + std::min(script.talk_for, script.every));
      if (script.talk_for < script.every) {
        ahead.Burst(next + script.every, std::nullopt);  // records the gap between bursts
      } else {
        ahead.Burst(next, std::nullopt);  // talks without a break
      }
      break;
    }
    case SpeechScript::Kind::kIntervals:
      for (const auto& [start, end] : script.intervals) {
        if (anchor + end > now) ahead.Burst(anchor + start, anchor + end);
      }
      break;
  }
  return ahead;
}

}  // namespace

std::vector<SilentLeg> ListSilentLegs(const std::deque<Participant>& legs, TimePoint now,
                                      Duration silent_for) {
  std::vector<SilentLeg> out;
  for (const Participant& leg : legs) {
    if (leg.state != LegState::kConnected) continue;  // no media: skip the arithmetic
    const MediaState media = ComputeMedia(leg, now);
    if (!media.flowing || media.silent_for < silent_for) continue;
    out.push_back(ToSilentLeg(leg, media));
  }
  SortListing(out);
  return out;
}

void SilenceIndex::Update(Participant& leg, TimePoint now) {
  if (leg.filed_longest_gap >= kShortestIndexed) by_longest_gap_.erase({leg.filed_longest_gap, &leg});
  if (leg.filed_quiet_since) by_quiet_since_.erase({*leg.filed_quiet_since, &leg, {}});
  leg.filed_quiet_since.reset();
  leg.filed_longest_gap = {};
  if (leg.state != LegState::kConnected) return;  // media stopped: never listed again
  const SilenceAhead ahead = Foresee(leg, now);
  leg.filed_longest_gap = ahead.longest_gap();
  leg.filed_quiet_since = ahead.quiet_since();
  if (leg.filed_longest_gap >= kShortestIndexed) by_longest_gap_.emplace(leg.filed_longest_gap, &leg);
  if (leg.filed_quiet_since) by_quiet_since_.insert({*leg.filed_quiet_since, &leg, leg.filed_longest_gap});
}

std::vector<SilentLeg> SilenceIndex::List(const std::deque<Participant>& legs, TimePoint now,
                                          Duration silent_for) const {
  if (silent_for < kShortestIndexed) return ListSilentLegs(legs, now, silent_for);
  std::vector<const Participant*> maybe;
  // Legs that may be between two bursts long enough apart.
  for (auto it = by_longest_gap_.lower_bound({silent_for, nullptr}); it != by_longest_gap_.end();
       ++it) {
    maybe.push_back(it->second);
  }
  // Legs done talking, quiet since at most now - silent_for; those with a gap that long were
  // seen above.
  if (silent_for <= now.time_since_epoch()) {
    const TimePoint latest = now - silent_for;
    for (auto it = by_quiet_since_.begin(); it != by_quiet_since_.end() && it->since <= latest;
         ++it) {
      if (it->longest_gap < silent_for) maybe.push_back(it->leg);
    }
  }
  // Each leg and its ids are a few cache misses in a large world: ask for them some legs ahead,
  // so that the misses overlap instead of coming one after another.
  constexpr size_t kAhead = 8;
  const auto prefetch_leg = [&](size_t i) {
    if (i < maybe.size()) __builtin_prefetch(maybe[i]);
  };
  const auto prefetch_ids = [&](size_t i) {
    if (i >= maybe.size()) return;
    __builtin_prefetch(maybe[i]->id.data());
    __builtin_prefetch(maybe[i]->conversation);
  };
  for (size_t i = 0; i < std::min(maybe.size(), 2 * kAhead); ++i) prefetch_leg(i);
  for (size_t i = 0; i < std::min(maybe.size(), kAhead); ++i) prefetch_ids(i);
  std::vector<SilentLeg> out;
  out.reserve(maybe.size());
  for (size_t i = 0; i < maybe.size(); ++i) {
    prefetch_leg(i + 2 * kAhead);
    prefetch_ids(i + kAhead);
    const Participant& leg = *maybe[i];
    const MediaState media = ComputeMedia(leg, now);
    if (media.flowing && media.silent_for >= silent_for) out.push_back(ToSilentLeg(leg, media));
  }
  SortListing(out);
  return out;
}

}  // namespace gcsim::core
