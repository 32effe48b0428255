#include "gcsim/client/server_time.h"

namespace gcsim::client {

void ServerTime::Observe(TimePoint date, TimePoint sent, TimePoint received) {
  // The newest answer's own lower bound: an older answer's is kept only while both clocks run at
  // one rate, which gcsim's manual clock standing still does not.
  const Duration lowest = date - received;
  static_cast<void>(sent);
  offset_ms_.store(lowest.count(), std::memory_order_relaxed);
}

}  // namespace gcsim::client
