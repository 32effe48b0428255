#include "gcsim/common/clock.h"

#include <algorithm>

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
    const auto next = timers_.Earliest();
    if (next) {
      changed_.wait_until(lock, stop, *next, [] { return false; });
    } else {
      changed_.wait(lock, stop, [] { return false; });
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

}  // namespace gcsim
