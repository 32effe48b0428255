// The bulk media view's listing: every leg whose media flows and that has been silent for at
// least a while, the index that finds those legs without walking the world, and the cache that
// lets a client page through one listing at one instant for the cost of one lookup.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "gcsim/core/last_answer.h"
#include "gcsim/core/model.h"
#include "gcsim/core/simulator.h"

namespace gcsim::core {

// Connected legs whose media flows, silent for at least `silent_for` at `now`, ordered by
// silent_since then participant id. Linear in `legs`: the reference the index is checked against.
std::vector<SilentLeg> ListSilentLegs(const std::deque<Participant>& legs, TimePoint now,
                                      Duration silent_for);

// Where each connected leg's silence can be long enough to list, kept as legs change, so that a
// listing costs in proportion to the legs it may contain, not to the world.
//
// A leg's silence only ends when its script makes it heard. From the moment a leg last changed,
// its script says (1) the longest silence it will have between bursts of speech, and (2) when
// its last burst ends, if it ever does: from then on it stays silent since that instant (its
// quiet-since; a muted, held or never-speaking leg is quiet already). A leg silent for T at
// some instant is therefore either in a gap between bursts (so its longest gap is at least T),
// or quiet since at most now - T. The index keeps both orders; each leg carries its filing
// (Participant::filed_*), so the index holds nothing per leg beyond its two sets.
//
// Not thread-safe: Update runs with the world locked, List with the world at least shared.
class SilenceIndex {
 public:
  // Listings of shorter silences walk every leg: nearly every talker's gaps are that short,
  // and filing them all would cost memory for listings nobody asks for.
  static constexpr Duration kShortestIndexed = std::chrono::minutes(1);

  // After anything about `leg` changed at `now` (and when it is added): files it again, or
  // takes it out once its media no longer flows.
  void Update(Participant& leg, TimePoint now);

  // What ListSilentLegs(legs, now, silent_for) lists; `legs` are every leg filed here.
  std::vector<SilentLeg> List(const std::deque<Participant>& legs, TimePoint now,
                              Duration silent_for) const;

  size_t quiet_legs() const { return by_quiet_since_.size(); }
  size_t legs_with_long_gaps() const { return by_longest_gap_.size(); }

 private:
  struct Quiet {
    TimePoint since;
    const Participant* leg;
    Duration longest_gap;  // carried along, so the listing need not read the leg to skip it
    bool operator<(const Quiet& other) const {
      return std::tie(since, leg) < std::tie(other.since, other.leg);
    }
  };

  std::set<std::pair<Duration, const Participant*>> by_longest_gap_;  // kShortestIndexed or more
  std::set<Quiet> by_quiet_since_;
};

// The last listing, kept while the world stays the same; keyed by `silent_for`.
using SilentListingCache = LastAnswer<Duration, std::vector<SilentLeg>>;

}  // namespace gcsim::core
