#include "gcsim/common/clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gcsim {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(ManualClockTest, StartsAtConfiguredTimeAndMovesOnlyWhenTold) {
  ManualClock clock;
  const TimePoint start = clock.Now();
  EXPECT_EQ(FormatIso8601(start), "2026-01-01T09:00:00.000Z");
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(seconds(90));
  EXPECT_EQ(clock.Now(), start + seconds(90));
}

TEST(ManualClockTest, StopsAtTheLastRepresentableInstant) {
  ManualClock clock;
  clock.Advance(Duration::max());
  EXPECT_EQ(clock.Now(), kLatestTime);
  clock.Advance(kMaxDuration);
  EXPECT_EQ(clock.Now(), kLatestTime);
  EXPECT_EQ(FormatIso8601(clock.Now()), "9999-12-31T23:59:59.999Z");
}

TEST(ManualClockTest, FiresDueTimersInTimeOrderWithTiesBySequence) {
  ManualClock clock;
  const TimePoint t0 = clock.Now();
  std::vector<std::string> fired;
  clock.Schedule(t0 + seconds(20), [&] { fired.push_back("b"); });
  clock.Schedule(t0 + seconds(10), [&] { fired.push_back("a"); });
  clock.Schedule(t0 + seconds(20), [&] { fired.push_back("c"); });
  clock.Schedule(t0 + seconds(60), [&] { fired.push_back("late"); });
  clock.Advance(seconds(30));
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(clock.NextWakeup(), t0 + seconds(60));
}

TEST(ManualClockTest, NowIsTheTimersDueTimeInsideItsCallback) {
  ManualClock clock;
  const TimePoint t0 = clock.Now();
  TimePoint seen;
  clock.Schedule(t0 + seconds(5), [&] { seen = clock.Now(); });
  clock.Advance(minutes(1));
  EXPECT_EQ(seen, t0 + seconds(5));
  EXPECT_EQ(clock.Now(), t0 + minutes(1));
}

TEST(ManualClockTest, TimersScheduledByCallbacksFireInTheSameAdvance) {
  ManualClock clock;
  const TimePoint t0 = clock.Now();
  int chained = 0;
  clock.Schedule(t0 + seconds(1), [&] {
    clock.Schedule(clock.Now() + seconds(1), [&] { ++chained; });
  });
  clock.Advance(seconds(3));
  EXPECT_EQ(chained, 1);
}

TEST(ManualClockTest, CancelledTimerNeverFires) {
  ManualClock clock;
  bool fired = false;
  const TimerId id = clock.Schedule(clock.Now() + seconds(1), [&] { fired = true; });
  EXPECT_TRUE(clock.Cancel(id));
  EXPECT_FALSE(clock.Cancel(id));
  clock.Advance(seconds(2));
  EXPECT_FALSE(fired);
  EXPECT_FALSE(clock.NextWakeup().has_value());
}

TEST(ManualClockTest, NeverMovesBackwards) {
  ManualClock clock;
  const TimePoint t0 = clock.Now();
  clock.AdvanceTo(t0 - seconds(5));
  EXPECT_EQ(clock.Now(), t0);
}

TEST(ManualClockTest, WaitUntilReturnsWhenAnotherThreadAdvances) {
  ManualClock clock;
  const TimePoint deadline = clock.Now() + seconds(10);
  std::jthread waiter([&] { EXPECT_TRUE(clock.WaitUntil(deadline)); });
  clock.Advance(seconds(10));
}

TEST(ManualClockTest, WaitUntilStopsOnRequest) {
  ManualClock clock;
  std::stop_source stop;
  std::jthread waiter([&] { EXPECT_FALSE(clock.WaitUntil(clock.Now() + seconds(10), stop.get_token())); });
  stop.request_stop();
}

TEST(ManualClockTest, AdvanceOnWaitDrivesTimeFromTheWaiter) {
  ManualClock clock({.advance_on_wait = true});
  const TimePoint t0 = clock.Now();
  bool fired = false;
  clock.Schedule(t0 + seconds(3), [&] { fired = true; });
  EXPECT_TRUE(clock.WaitUntil(t0 + seconds(5)));
  EXPECT_TRUE(fired);
  EXPECT_EQ(clock.Now(), t0 + seconds(5));
}

TEST(RealClockTest, TimerFiresAndWaitStops) {
  RealClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool fired = false;
  clock.Schedule(clock.Now(), [&] {
    std::lock_guard lock(mu);
    fired = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return fired; });
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(clock.WaitUntil(clock.Now() + std::chrono::hours(1), stop.get_token()));
}

}  // namespace
}  // namespace gcsim
