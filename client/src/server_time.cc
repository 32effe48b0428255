#include "gcsim/client/server_time.h"

namespace gcsim::client {

void ServerTime::Observe(TimePoint date, TimePoint sent, TimePoint received) {
  const Duration lowest = date - received;
  const Duration beyond = date + std::chrono::seconds(1) - sent;
  const Duration offset =
      lowest <= Duration::zero() && Duration::zero() < beyond ? Duration::zero() : lowest;
  offset_ms_.store(offset.count(), std::memory_order_relaxed);
}

}  // namespace gcsim::client
