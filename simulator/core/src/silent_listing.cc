#include "silent_listing.h"

#include <algorithm>
#include <tuple>

namespace gcsim::core {

std::vector<SilentLeg> ListSilentLegs(const std::deque<Participant>& legs, TimePoint now,
                                      Duration silent_for) {
  std::vector<SilentLeg> out;
  for (const Participant& leg : legs) {
    if (leg.state != LegState::kConnected) continue;  // no media: skip the arithmetic
    const MediaState media = ComputeMedia(leg, now);
    if (!media.flowing || media.silent_for < silent_for) continue;
    out.push_back({leg.conversation_id, leg.id, leg.purpose, leg.state, leg.muted, leg.held, media});
  }
  std::sort(out.begin(), out.end(), [](const SilentLeg& a, const SilentLeg& b) {
    return std::tie(a.media.silent_since, a.participant_id) <
           std::tie(b.media.silent_since, b.participant_id);
  });
  return out;
}

std::shared_ptr<const std::vector<SilentLeg>> SilentListingCache::Get(
    const std::deque<Participant>& legs, TimePoint now, uint64_t generation, Duration silent_for) {
  {
    std::lock_guard lock(mu_);
    if (last_.legs && last_.silent_for == silent_for && last_.now == now &&
        last_.generation == generation) {
      return last_.legs;
    }
  }
  auto listing =
      std::make_shared<const std::vector<SilentLeg>>(ListSilentLegs(legs, now, silent_for));
  std::lock_guard lock(mu_);
  last_ = {silent_for, now, generation, listing};
  return listing;
}

}  // namespace gcsim::core
