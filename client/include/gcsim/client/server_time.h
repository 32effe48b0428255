// Where the API server's clock stands against ours, learned from the Date header of each answer,
// so that the times a server reports (when a leg fell silent) are read on our clock. A reaper
// whose clock runs ahead of the server's would otherwise take a leg heard a minute ago for one
// silent for as long as the two clocks differ, and drop it.
#pragma once

#include <atomic>
#include <cstdint>

#include "gcsim/common/time.h"

namespace gcsim::client {

// A Date has whole seconds, so an answer received at `received` (our clock) shows that the
// offset, the server's clock minus ours, is at least date - received (and less than a second
// and a round trip more). The offset is that lower bound of the newest answer, so that a
// server's time read on our clock is never earlier than it was, and a silence never longer,
// even when the clocks differ by under a second or run at different rates (gcsim's manual clock
// standing still): it may read up to a second and a round trip short. An older answer's bound
// would hold only while both clocks run at one rate. The newest answer decides: a server's
// clock may jump. Thread-safe.
class ServerTime {
 public:
  void Observe(TimePoint date, TimePoint received);

  Duration offset() const { return Duration(offset_ms_.load(std::memory_order_relaxed)); }
  // The server's instant `server_time`, on our clock.
  TimePoint ToLocal(TimePoint server_time) const { return server_time - offset(); }
  // Our instant `local`, on the server's clock.
  TimePoint ToServer(TimePoint local) const { return local + offset(); }

 private:
  std::atomic<int64_t> offset_ms_{0};
};

}  // namespace gcsim::client
