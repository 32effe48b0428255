// The only source of time in gcsim. Everything that needs "now", a timer or a wait takes a
// Clock&: RealClock in production, ManualClock in tests and scenarios, where thirty simulated
// minutes pass in one Advance() call, and ScaledClock where an outside program must keep pace
// with the simulator (gcsim serve --time-scale, external clients in scenarios).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <unordered_map>

#include "gcsim/common/time.h"

namespace gcsim {

using TimerId = uint64_t;

// Thread-safe. Timer callbacks run without any clock lock held, so they may schedule, cancel
// or (on a ManualClock) advance again.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual TimePoint Now() const = 0;

  // Blocks until Now() >= deadline (true) or `stop` is requested (false).
  virtual bool WaitUntil(TimePoint deadline, std::stop_token stop = {}) = 0;

  // Runs `fn` once when the clock reaches `at` (a past `at` fires at the next chance).
  virtual TimerId Schedule(TimePoint at, std::function<void()> fn) = 0;

  // False when the timer already fired or never existed.
  virtual bool Cancel(TimerId id) = 0;

  // When the earliest pending timer is due, if any.
  virtual std::optional<TimePoint> NextWakeup() const = 0;
};

// Timers ordered by (time, scheduling sequence): equal times fire in the order scheduled.
// Not thread-safe on its own; the clocks guard it.
class TimerQueue {
 public:
  TimerId Add(TimePoint at, std::function<void()> fn);
  bool Remove(TimerId id);
  std::optional<TimePoint> Earliest() const;
  // Removes and returns the earliest timer due at or before `limit`.
  std::optional<std::pair<TimePoint, std::function<void()>>> PopDue(TimePoint limit);

 private:
  TimerId next_id_ = 1;
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, TimePoint> due_by_id_;
};

// The monotonic wall clock, for what guards the process itself (how long a socket may idle or a
// peer may take), never for simulated time: under a ManualClock those guards must still run.
std::chrono::steady_clock::time_point MonotonicNow();

// Wall-clock time (system_clock, millisecond resolution). Timers fire on a background thread
// started on first use and joined by the destructor.
class RealClock final : public Clock {
 public:
  RealClock() = default;
  ~RealClock() override;
  RealClock(const RealClock&) = delete;
  RealClock& operator=(const RealClock&) = delete;

  TimePoint Now() const override;
  bool WaitUntil(TimePoint deadline, std::stop_token stop = {}) override;
  TimerId Schedule(TimePoint at, std::function<void()> fn) override;
  bool Cancel(TimerId id) override;
  std::optional<TimePoint> NextWakeup() const override;

 private:
  void RunTimers(std::stop_token stop);

  mutable std::mutex mu_;
  std::condition_variable_any changed_;
  TimerQueue timers_;
  uint64_t schedule_count_ = 0;  // wakes the timer thread for a timer scheduled while it waits
  std::jthread timer_thread_;
};

// Where simulated time starts unless told otherwise: 2026-01-01T09:00:00.000Z.
inline constexpr TimePoint kSimulationStart =
    TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1)) + std::chrono::hours(9);

struct ManualClockOptions {
  // Where simulated time starts.
  TimePoint start = kSimulationStart;
  // When true, WaitUntil() advances the clock itself to the deadline (firing due timers):
  // the waiting thread is the one driving time, as in the scenario runner. When false,
  // WaitUntil() blocks until another thread advances the clock.
  bool advance_on_wait = false;
};

// Time that moves only when told to. Advance() fires every due timer in time order, setting
// Now() to each timer's due time before its callback runs.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(ManualClockOptions options = {});

  TimePoint Now() const override;
  bool WaitUntil(TimePoint deadline, std::stop_token stop = {}) override;
  TimerId Schedule(TimePoint at, std::function<void()> fn) override;
  bool Cancel(TimerId id) override;
  std::optional<TimePoint> NextWakeup() const override;

  // Time stops at kLatestTime: an advance past it ends there (timestamps beyond it cannot be
  // written). Callers moving time for a user refuse such advances first (CheckTimeRange).
  void Advance(Duration by);
  // Moves to `target` (never backwards, never past kLatestTime), firing due timers on the way.
  void AdvanceTo(TimePoint target);
  // Moves back to where it started (gcsim serve's POST /sim/v1/reset?rewind=true). Refused
  // (false) while a timer is pending, which would then fire out of order.
  bool Rewind();

 private:
  const ManualClockOptions options_;
  mutable std::mutex mu_;
  std::condition_variable_any advanced_;
  TimePoint now_;
  TimerQueue timers_;
};

struct ScaledClockOptions {
  // Where scaled time starts.
  TimePoint start = kSimulationStart;
  // How much faster than the base clock scaled time runs: 60 makes a base second a scaled
  // minute. At least kMinTimeScale and at most kMaxTimeScale.
  double factor = 1;
  // false: time stands at `start` until Start() (timers wait with it), so that it can start
  // together with an outside program's clock; true: it runs from construction.
  bool running = true;
};

inline constexpr double kMinTimeScale = 0.001;
inline constexpr double kMaxTimeScale = 100'000;

// A base clock's time, `factor` times as fast, from `start`: real time sped up so that an
// outside program run under the same speed (libfaketime) keeps pace with the simulator.
// Timers and waits are the base clock's, at the base instant when scaled time reaches them
// (rounded up: never early). Thread-safe; the base must outlive it. Tests drive it with a
// ManualClock as the base, so they never wait on the wall clock.
class ScaledClock final : public Clock {
 public:
  ScaledClock(Clock& base, ScaledClockOptions options);

  TimePoint Now() const override;
  bool WaitUntil(TimePoint deadline, std::stop_token stop = {}) override;
  TimerId Schedule(TimePoint at, std::function<void()> fn) override;
  bool Cancel(TimerId id) override;
  std::optional<TimePoint> NextWakeup() const override;

  // Time runs from `start` as of the base instant `base_start` (default: the base's now; an
  // earlier instant makes time jump to where it would be). No-op once running.
  void Start(std::optional<TimePoint> base_start = std::nullopt);

  double factor() const { return options_.factor; }
  TimePoint start() const { return options_.start; }
  // The scaled instant at base instant `base_time`, and the first base instant at which the
  // scaled clock reaches `scaled` (before Start(): as if it had started when it was made).
  TimePoint FromBase(TimePoint base_time) const;
  TimePoint ToBase(TimePoint scaled) const;

 private:
  TimePoint FromBaseLocked(TimePoint base_time) const;
  TimePoint ToBaseLocked(TimePoint scaled) const;
  TimerId ScheduleOnBaseLocked(TimerId id, TimePoint at, std::function<void()> fn);

  Clock& base_;
  const ScaledClockOptions options_;
  mutable std::mutex mu_;
  std::condition_variable_any started_;
  bool running_;
  TimePoint base_start_;
  TimerId next_id_ = 1;
  // Before Start(): timers by (scaled time, id), and each id's time.
  std::map<std::pair<TimePoint, TimerId>, std::function<void()>> pending_;
  std::unordered_map<TimerId, TimePoint> pending_at_;
  std::unordered_map<TimerId, TimerId> base_ids_;  // our id -> the base's, until it fires
};

}  // namespace gcsim
