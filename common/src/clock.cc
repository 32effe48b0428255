#include "gcsim/common/clock.h"

#include <algorithm>
#include <cmath>

namespace gcsim {

TimerId TimerQueue::Add(TimePoint at, std::function<void()> fn) {
  const TimerId id = next_id_++;
  timers_.emplace(std::make_pair(at, id), std::move(fn));
  due_by_id_.emplace(id, at);
  return id;
}

bool TimerQueue::Remove(TimerId id) {
  const auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return false;
  timers_.erase({it->second, id});
  due_by_id_.erase(it);
  return true;
}

std::optional<TimePoint> TimerQueue::Earliest() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

std::optional<std::pair<TimePoint, std::function<void()>>> TimerQueue::PopDue(TimePoint limit) {
  if (timers_.empty() || timers_.begin()->first.first > limit) return std::nullopt;
  auto node = timers_.extract(timers_.begin());
  due_by_id_.erase(node.key().second);
  return std::make_pair(node.key().first, std::move(node.mapped()));
}

// --- RealClock ---------------------------------------------------------------------------

RealClock::~RealClock() {
  if (timer_thread_.joinable()) {
    timer_thread_.request_stop();
    changed_.notify_all();
    timer_thread_.join();
  }
}

std::chrono::steady_clock::time_point MonotonicNow() { return std::chrono::steady_clock::now(); }

TimePoint RealClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

bool RealClock::WaitUntil(TimePoint deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested() && Now() >= deadline;
}

TimerId RealClock::Schedule(TimePoint at, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  const TimerId id = timers_.Add(at, std::move(fn));
  if (!timer_thread_.joinable()) {
    timer_thread_ = std::jthread([this](std::stop_token stop) { RunTimers(stop); });
  }
  ++schedule_count_;
  changed_.notify_all();
  return id;
}

bool RealClock::Cancel(TimerId id) {
  std::lock_guard lock(mu_);
  return timers_.Remove(id);
}

std::optional<TimePoint> RealClock::NextWakeup() const {
  std::lock_guard lock(mu_);
  return timers_.Earliest();
}

void RealClock::RunTimers(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    if (auto due = timers_.PopDue(Now())) {
      lock.unlock();
      due->second();
      lock.lock();
      continue;
    }
    // Until the earliest timer is due, or a new one (maybe earlier) is scheduled.
    const auto next = timers_.Earliest();
    const uint64_t seen = schedule_count_;
    const auto scheduled = [this, seen] { return schedule_count_ != seen; };
    if (next) {
      changed_.wait_until(lock, stop, *next, scheduled);
    } else {
      changed_.wait(lock, stop, scheduled);
    }
  }
}

// --- ManualClock -------------------------------------------------------------------------

ManualClock::ManualClock(ManualClockOptions options) : options_(options), now_(options.start) {}

TimePoint ManualClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

bool ManualClock::WaitUntil(TimePoint deadline, std::stop_token stop) {
  if (options_.advance_on_wait) {
    if (stop.stop_requested()) return false;
    AdvanceTo(deadline);
    return true;
  }
  std::unique_lock lock(mu_);
  return advanced_.wait(lock, stop, [&] { return now_ >= deadline; });
}

TimerId ManualClock::Schedule(TimePoint at, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  return timers_.Add(at, std::move(fn));
}

bool ManualClock::Cancel(TimerId id) {
  std::lock_guard lock(mu_);
  return timers_.Remove(id);
}

std::optional<TimePoint> ManualClock::NextWakeup() const {
  std::lock_guard lock(mu_);
  return timers_.Earliest();
}

void ManualClock::Advance(Duration by) {
  const TimePoint now = Now();
  AdvanceTo(by > kLatestTime - now ? kLatestTime : now + by);
}

bool ManualClock::Rewind() {
  std::lock_guard lock(mu_);
  if (timers_.Earliest()) return false;
  now_ = options_.start;
  return true;
}

void ManualClock::AdvanceTo(TimePoint target) {
  target = std::min(target, kLatestTime);
  std::unique_lock lock(mu_);
  while (auto due = timers_.PopDue(target)) {
    if (due->first > now_) now_ = due->first;
    lock.unlock();
    advanced_.notify_all();
    due->second();
    lock.lock();
  }
  if (target > now_) now_ = target;
  lock.unlock();
  advanced_.notify_all();
}

// --- ScaledClock -------------------------------------------------------------------------

ScaledClock::ScaledClock(Clock& base, ScaledClockOptions options)
    : base_(base), options_(options), running_(options.running), base_start_(base.Now()) {}

TimePoint ScaledClock::FromBaseLocked(TimePoint base_time) const {
  // long double keeps every millisecond of the clock's range exact.
  const long double scaled =
      std::floor(static_cast<long double>((base_time - base_start_).count()) * options_.factor);
  const long double latest = static_cast<long double>((kLatestTime - options_.start).count());
  const long double earliest = static_cast<long double>((kEarliestTime - options_.start).count());
  return options_.start + Duration(static_cast<Duration::rep>(std::clamp(scaled, earliest, latest)));
}

TimePoint ScaledClock::ToBaseLocked(TimePoint scaled) const {
  const long double base =
      std::ceil(static_cast<long double>((scaled - options_.start).count()) / options_.factor);
  const long double room = static_cast<long double>((kLatestTime - base_start_).count());
  TimePoint at = base_start_ + Duration(static_cast<Duration::rep>(std::min(base, room)));
  // Rounding must never make a timer early.
  while (FromBaseLocked(at) < scaled && at < kLatestTime) at += Duration(1);
  return at;
}

TimePoint ScaledClock::FromBase(TimePoint base_time) const {
  std::lock_guard lock(mu_);
  return FromBaseLocked(base_time);
}

TimePoint ScaledClock::ToBase(TimePoint scaled) const {
  std::lock_guard lock(mu_);
  return ToBaseLocked(scaled);
}

TimePoint ScaledClock::Now() const {
  std::lock_guard lock(mu_);
  return running_ ? FromBaseLocked(base_.Now()) : options_.start;
}

void ScaledClock::Start(std::optional<TimePoint> base_start) {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  // Never later than now: time must not go back from where it stood.
  base_start_ = std::min(base_start.value_or(base_.Now()), base_.Now());
  for (auto& [key, fn] : pending_) ScheduleOnBaseLocked(key.second, key.first, std::move(fn));
  pending_.clear();
  pending_at_.clear();
  started_.notify_all();
}

TimerId ScaledClock::ScheduleOnBaseLocked(TimerId id, TimePoint at, std::function<void()> fn) {
  base_ids_[id] = base_.Schedule(ToBaseLocked(at), [this, id, fn = std::move(fn)] {
    {
      std::lock_guard lock(mu_);
      base_ids_.erase(id);
    }
    fn();
  });
  return id;
}

bool ScaledClock::WaitUntil(TimePoint deadline, std::stop_token stop) {
  TimePoint base_deadline;
  {
    std::unique_lock lock(mu_);
    if (!started_.wait(lock, stop, [this] { return running_; })) return false;
    base_deadline = ToBaseLocked(deadline);
  }
  return base_.WaitUntil(base_deadline, std::move(stop));
}

TimerId ScaledClock::Schedule(TimePoint at, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  const TimerId id = next_id_++;
  if (!running_) {
    pending_.emplace(std::make_pair(at, id), std::move(fn));
    pending_at_.emplace(id, at);
    return id;
  }
  return ScheduleOnBaseLocked(id, at, std::move(fn));
}

bool ScaledClock::Cancel(TimerId id) {
  std::lock_guard lock(mu_);
  if (const auto it = pending_at_.find(id); it != pending_at_.end()) {
    pending_.erase({it->second, id});
    pending_at_.erase(it);
    return true;
  }
  const auto it = base_ids_.find(id);
  if (it == base_ids_.end()) return false;
  const bool cancelled = base_.Cancel(it->second);
  base_ids_.erase(it);
  return cancelled;
}

std::optional<TimePoint> ScaledClock::NextWakeup() const {
  std::lock_guard lock(mu_);
  if (!running_) {
    if (pending_.empty()) return std::nullopt;
    return pending_.begin()->first.first;
  }
  const auto next = base_.NextWakeup();
  if (!next) return std::nullopt;
  return FromBaseLocked(*next);
}

}  // namespace gcsim
