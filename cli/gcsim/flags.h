// Flag checks shared by gcsim's subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <sstream>
#include <string>

#include "gcsim/common/clock.h"

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

}  // namespace gcsim::cli
