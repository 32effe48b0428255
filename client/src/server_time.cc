#include "gcsim/client/server_time.h"

#include <algorithm>

namespace gcsim::client {

void ServerTime::Observe(TimePoint date, TimePoint sent, TimePoint received) {
  const Range answer{date - received, date + std::chrono::seconds(1) - sent};
  std::lock_guard lock(mu_);
  if (range_ && answer.lowest < range_->beyond && range_->lowest < answer.beyond) {
    range_->lowest = std::max(range_->lowest, answer.lowest);
    range_->beyond = std::min(range_->beyond, answer.beyond);
  } else {
    range_ = answer;  // the first answer, or a clock jumped
  }
  offset_ms_.store(range_->lowest.count(), std::memory_order_relaxed);
}

}  // namespace gcsim::client
