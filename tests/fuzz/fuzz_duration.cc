// ParseDuration and the timestamp functions on any text: no exceptions, every accepted
// duration within kMaxDuration and round-tripping through FormatDuration, every timestamp
// within the clock's range round-tripping through FormatIso8601.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gcsim/common/time.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto duration = gcsim::ParseDuration(text); duration.ok()) {
    Check(*duration >= gcsim::Duration::zero() && *duration <= gcsim::kMaxDuration);
    const auto again = gcsim::ParseDuration(gcsim::FormatDuration(*duration));
    Check(again.ok() && *again == *duration);
    const gcsim::TimePoint start = gcsim::kEarliestTime + *duration / 2;
    if (gcsim::CheckTimeRange(start, *duration).ok()) {
      const gcsim::TimePoint end = start + *duration;
      Check(end <= gcsim::kLatestTime);
      Check(*gcsim::ParseIso8601(gcsim::FormatIso8601(end)) == end);
    }
  } else {
    Check(duration.status().code() == gcsim::StatusCode::kInvalidArgument);
  }
  if (const auto instant = gcsim::ParseIso8601(text); instant.ok()) {
    Check(*instant >= gcsim::kEarliestTime && *instant <= gcsim::kLatestTime);
    Check(*gcsim::ParseIso8601(gcsim::FormatIso8601(*instant)) == *instant);
  }
  return 0;
}
