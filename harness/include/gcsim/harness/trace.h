// What a scenario looked like over time, recorded by the runner when asked
// (RunOptions::trace) for `gcsim run --html`: each leg's audio and flags sampled across the run,
// the reaper's ticks, every drop request, and the requests over time. Times are from the start
// of the run.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gcsim/common/time.h"

namespace gcsim::harness {

// Above this many legs a trace keeps no row per leg, only the run's figures over time.
inline constexpr size_t kMaxTracedLegs = 50;

// What a leg was during one sample interval. Heard at any moment of it wins over held or muted
// (each stretch of silence starts from the last moment heard).
enum class LegSample : char {
  kAbsent = ' ',  // not yet in the world
  kGone = 'x',    // disconnected or terminated
  kHeld = 'o',    // on hold (not heard)
  kMuted = 'm',   // muted (not heard)
  kHeard = 'h',   // others heard it at some moment of the interval
  kSilent = 's',  // up and silent
};

struct LegWarning {
  Duration at{};
  std::string text;  // the reaper's words: "stuck ...", "unreachable ..."
};

struct LegTrace {
  std::string id;
  std::string name;
  std::string purpose;
  std::string conversation_id;
  // One per sample of ScenarioTrace::samples: what the leg was during the interval that ended
  // at that sample.
  std::vector<LegSample> samples;
  // When the leg had been silent for the idle timeout (each stretch of silence that got there).
  std::vector<Duration> idle_at;
  std::optional<Duration> ended_at;
  std::string disconnect_type;
  std::vector<LegWarning> warnings;
};

// A participant PATCH, or a request that asked to drop legs (a leg or a whole conversation),
// whoever sent it.
struct PatchTrace {
  Duration at{};
  std::string participant_id;  // empty: a whole-conversation request
  std::string conversation_id;
  std::string client_id;
  int status = 0;
  bool drop = false;             // it asked to drop live legs
  bool changed_nothing = false;  // answered 2xx and changed nothing (the seed's trap)
  std::vector<std::string> ignored_fields;
  Duration silent_for{};  // drop: how long the leg had been silent when the request reached it
  bool early = false;     // drop: it reached a leg heard within the idle timeout (IsEarlyDrop)
};

struct ScenarioTrace {
  Duration run_for{};
  Duration step{};              // time between samples
  Duration idle_timeout{};      // the threshold drawn on each leg
  size_t samples = 0;           // samples per leg, and buckets of the request counts
  bool per_leg = true;          // false: the world held more than kMaxTracedLegs legs
  std::vector<LegTrace> legs;   // in the order they appeared; empty unless per_leg
  std::vector<Duration> ticks;  // the reaper's ticks
  std::vector<PatchTrace> patches;
  std::vector<Duration> lateness;  // each first drop's lateness (RunMetrics::max_lateness's)
  // Requests answered per sample interval: 2xx/3xx, 429, and any other error.
  std::vector<int> requests_ok;
  std::vector<int> requests_throttled;
  std::vector<int> requests_failed;
};

}  // namespace gcsim::harness
