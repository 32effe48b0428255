// The bulk media view's listing: every leg whose media flows and that has been silent for at
// least a while, and the cache that lets a client page through one listing at one instant for
// the cost of one scan.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "gcsim/core/model.h"
#include "gcsim/core/simulator.h"

namespace gcsim::core {

// Connected legs whose media flows, silent for at least `silent_for` at `now`, ordered by
// silent_since then participant id. Linear in `legs`.
std::vector<SilentLeg> ListSilentLegs(const std::deque<Participant>& legs, TimePoint now,
                                      Duration silent_for);

// The last listing, kept while the world stays the same. Thread-safe; the caller holds the
// world at least shared while it calls Get and bumps `generation` on every write to it.
class SilentListingCache {
 public:
  std::shared_ptr<const std::vector<SilentLeg>> Get(const std::deque<Participant>& legs,
                                                    TimePoint now, uint64_t generation,
                                                    Duration silent_for);

 private:
  struct Entry {
    Duration silent_for{};
    TimePoint now{};
    uint64_t generation = 0;
    std::shared_ptr<const std::vector<SilentLeg>> legs;
  };
  std::mutex mu_;  // guards last_; readers of the world scan outside it
  Entry last_;
};

}  // namespace gcsim::core
