// Helpers shared by the benchmark programs: the load world they all use, process memory, and
// the (conversation, participant) ids of a world in a stable order.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"

namespace gcsim::bench {

inline constexpr int kLegsPerBridge = 5;
inline constexpr char kClientId[] = "bench-client";
inline constexpr char kClientSecret[] = "bench-secret";

// The shape of scenarios/scale-10k-bridges.json (five human legs per bridge, a fifth of them
// silent, the rest talking half of every minute), without a rate limit, at any size.
inline core::WorldSpec LoadWorld(int bridges) {
  core::WorldSpec world;
  world.rate_limit = 0;
  world.oauth_clients.push_back({.id = kClientId, .secret = kClientSecret});
  world.generated.push_back(
      {.bridges = bridges,
       .purposes = {core::Purpose::kCustomer, core::Purpose::kAgent, core::Purpose::kUser,
                    core::Purpose::kExternal, core::Purpose::kUser},
       .silent_fraction = 0.2,
       .talk = {.kind = core::SpeechScript::Kind::kPeriodic,
                .every = std::chrono::seconds(60),
                .talk_for = std::chrono::seconds(30)}});
  return world;
}

struct LegRef {
  std::string conversation_id;
  std::string participant_id;
};

// Every leg, conversation by conversation in start order, legs in join order.
inline std::vector<LegRef> AllLegs(const core::Simulator& sim) {
  std::vector<LegRef> legs;
  sim.Read([&](const core::WorldView& world) {
    for (const core::Conversation* conv : world.ConversationsByStart()) {
      for (const core::Participant* leg : conv->participants) {
        legs.push_back({conv->id, leg->id});
      }
    }
  });
  return legs;
}

// Resident set size now, from /proc/self/statm (the second field, in pages).
inline int64_t CurrentRssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// The process's high-water mark of resident memory.
inline int64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace gcsim::bench
