#include "gcsim/client/server_time.h"

namespace gcsim::client {

void ServerTime::Observe(TimePoint date, TimePoint received) {
  offset_ms_.store((date - received).count(), std::memory_order_relaxed);
}

}  // namespace gcsim::client
