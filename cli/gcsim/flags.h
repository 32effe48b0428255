// Flag checks shared by gcsim's subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "gcsim/common/clock.h"
#include "gcsim/common/time.h"

namespace gcsim::cli {

// --time-scale: a finite number in the clock's range. CLI11's own Range lets NaN through, as
// every comparison with it is false.
inline CLI::Validator TimeScaleFlag() {
  std::ostringstream range;
  range << kMinTimeScale << " to " << kMaxTimeScale;
  return CLI::Validator(
      [range = range.str()](const std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto parsed = std::from_chars(text.data(), end, value);
        if (parsed.ec == std::errc() && parsed.ptr == end && std::isfinite(value) &&
            value >= kMinTimeScale && value <= kMaxTimeScale) {
          return {};
        }
        return "must be a number from " + range + ", not " + text;
      },
      "from " + range.str());
}

// A whole number from `min` to `max`, in decimal digits alone. CLI11's own conversions take
// "0x10", let "-1" wrap around in an unsigned flag, and print a double's range when one is off.
inline CLI::Validator WholeNumber(uint64_t min,
                                  uint64_t max = std::numeric_limits<uint64_t>::max()) {
  return CLI::Validator(
      [min, max](const std::string& text) -> std::string {
        uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto parsed = std::from_chars(text.data(), end, value);
        if (parsed.ec == std::errc() && parsed.ptr == end && value >= min && value <= max) {
          return {};
        }
        return "must be a whole number " +
               (max == std::numeric_limits<uint64_t>::max()
                    ? "of at least " + std::to_string(min)
                    : "from " + std::to_string(min) + " to " + std::to_string(max)) +
               ", not " + text;
      },
      "INT");
}

// A duration as people write them: "250ms", "10m".
inline CLI::Validator DurationFlag() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        const auto parsed = ParseDuration(text);
        return parsed.ok() ? std::string() : parsed.status().message();
      },
      "DURATION");
}

}  // namespace gcsim::cli
