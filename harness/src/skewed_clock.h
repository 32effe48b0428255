// A reaper's clock set apart from the simulator's by a fixed amount, as on a machine whose clock
// is off: the harness runs the bundled reaper on it (scenario "reaper.clockSkew"), so that every
// race the scenarios stage is also run with the reaper reading the server's times through the
// Date of its answers.
#pragma once

#include <functional>
#include <optional>
#include <stop_token>

#include "gcsim/common/clock.h"

namespace gcsim::harness {

// Thread-safe as `base` is; holds a reference to it. Waits and timers are the base clock's,
// moved by the skew, so they fire at the same instants as the simulator's.
class SkewedClock final : public Clock {
 public:
  SkewedClock(Clock& base, Duration skew) : base_(base), skew_(skew) {}

  TimePoint Now() const override { return base_.Now() + skew_; }
  bool WaitUntil(TimePoint deadline, std::stop_token stop = {}) override {
    return base_.WaitUntil(deadline - skew_, stop);
  }
  TimerId Schedule(TimePoint at, std::function<void()> fn) override {
    return base_.Schedule(at - skew_, std::move(fn));
  }
  bool Cancel(TimerId id) override { return base_.Cancel(id); }
  std::optional<TimePoint> NextWakeup() const override {
    const std::optional<TimePoint> next = base_.NextWakeup();
    return next ? std::optional<TimePoint>(*next + skew_) : std::nullopt;
  }

 private:
  Clock& base_;
  const Duration skew_;
};

}  // namespace gcsim::harness
