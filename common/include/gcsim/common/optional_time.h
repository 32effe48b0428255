// An optional instant in the 8 bytes of the instant itself (std::optional<TimePoint> takes 16):
// a leg carries seven of them. The clock never leaves kEarliestTime..kLatestTime, so the
// smallest TimePoint is free to mean "unset". Reads and writes like std::optional.
#pragma once

#include <optional>

#include "gcsim/common/time.h"

namespace gcsim {

class OptionalTime {
 public:
  constexpr OptionalTime() = default;
  constexpr OptionalTime(std::nullopt_t) {}                 // NOLINT: as std::optional
  constexpr OptionalTime(TimePoint t) : value_(t) {}        // NOLINT
  constexpr OptionalTime(const std::optional<TimePoint>& t)  // NOLINT
      : value_(t ? *t : kUnset) {}

  constexpr operator std::optional<TimePoint>() const {  // NOLINT
    return has_value() ? std::optional<TimePoint>(value_) : std::nullopt;
  }

  constexpr bool has_value() const { return value_ != kUnset; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr const TimePoint& operator*() const { return value_; }
  constexpr const TimePoint* operator->() const { return &value_; }
  constexpr TimePoint value_or(TimePoint otherwise) const {
    return has_value() ? value_ : otherwise;
  }
  constexpr void reset() { value_ = kUnset; }

  friend constexpr bool operator==(OptionalTime a, OptionalTime b) {
    return a.value_ == b.value_;
  }
  friend constexpr bool operator==(OptionalTime a, TimePoint b) {
    return a.has_value() && a.value_ == b;
  }
  friend constexpr bool operator==(OptionalTime a, std::nullopt_t) { return !a.has_value(); }

 private:
  static constexpr TimePoint kUnset = TimePoint::min();
  TimePoint value_ = kUnset;
};

}  // namespace gcsim
