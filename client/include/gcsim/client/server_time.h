// Where the API server's clock stands against ours, learned from the Date header of each answer,
// so that the times a server reports (when a leg fell silent) are read on our clock. A reaper
// whose clock runs ahead of the server's would otherwise take a leg heard a minute ago for one
// silent for as long as the two clocks differ, and drop it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

#include "gcsim/common/time.h"

namespace gcsim::client {

// A Date has whole seconds, so an answer sent at `sent` and received at `received` (our clock)
// bounds the offset, the server's clock minus ours, to [date - received, date + 1s - sent).
// Answers dated at different fractions of a second narrow that range: it is kept as the overlap
// of every answer's, and the offset is its least, so that a server's time read on our clock is
// never earlier than it was, and a silence never longer, even when the clocks differ by less
// than a second (a server dates its answers and the times in them on one clock). An answer
// whose range misses the kept one means a clock jumped (gcsim's manual clock, a rewind, a
// stepped clock): the range starts again from that answer. A jump back small enough that the
// ranges still overlap is seen only once an answer rules the old range out. Between answers the
// two clocks are taken to run at one rate, which a manual clock standing still does not.
// Thread-safe.
class ServerTime {
 public:
  void Observe(TimePoint date, TimePoint sent, TimePoint received);

  Duration offset() const { return Duration(offset_ms_.load(std::memory_order_relaxed)); }
  // The server's instant `server_time`, on our clock.
  TimePoint ToLocal(TimePoint server_time) const { return server_time - offset(); }
  // Our instant `local`, on the server's clock.
  TimePoint ToServer(TimePoint local) const { return local + offset(); }

 private:
  struct Range {
    Duration lowest;  // the offset is at least this...
    Duration beyond;  // ...and less than this
  };

  std::mutex mu_;
  std::optional<Range> range_;  // guarded by mu_; none before the first answer
  std::atomic<int64_t> offset_ms_{0};
};

}  // namespace gcsim::client
