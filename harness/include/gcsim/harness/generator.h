// Seeded random scenarios for the invariant check: small bridges whose legs talk, go quiet,
// mute, hold, transfer, hang up and join (calls coming onto the queue too) around the idle
// timeout, under tight rate budgets, short tokens, another script spending the reaper's budget,
// drop latencies around the verify timeout, late answers, 503s and resets, a reaper that reads
// several conversations at once (concurrency 4) in a third of them, and one whose clock is off
// gcsim's (clockSkew) in half. What hand-written scenarios miss, a few thousand of these find.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/harness/runner.h"

namespace gcsim::harness {

// A scenario file's JSON (see scenarios/README.md): same seed, same scenario. It expects only
// the invariants (below); the built-in safety check does the rest.
nlohmann::json GenerateScenario(uint64_t seed);

// The invariants of one generated scenario, each run twice:
// - safety: no drop, on any attempt, reached a leg heard within the idle timeout;
// - liveness: every leg idle past timeout + poll interval + disconnect latency was dropped or
//   reported (a drop attempted, an error or a stuck report about it), none left unhandled;
//   not for the notifications source, which sees only the calls its queue's events announce;
// - determinism: the second run's journal is the first one's, entry for entry.
struct InvariantCheck {
  uint64_t seed = 0;
  nlohmann::json scenario;  // reproduces a failure with `gcsim run FILE`
  ScenarioResult result;    // the first run
  size_t legs = 0;          // legs in the world at the start
  std::vector<std::string> violations;
  bool ok() const { return violations.empty(); }
};
InvariantCheck CheckInvariants(uint64_t seed);

}  // namespace gcsim::harness
