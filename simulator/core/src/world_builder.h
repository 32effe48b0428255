// Building and growing worlds: a WorldSpec into a WorldState (users, queues, conversations,
// the seeded bridge generator), and the checks that keep a world within its limits and its
// legs pointing at users and queues that exist.
//
// Functions here touch only their arguments, so a world can be built aside without the lock
// that guards the simulator's live world.
#pragma once

#include <string>
#include <vector>

#include "gcsim/common/ids.h"
#include "gcsim/common/status.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "world_state.h"

namespace gcsim::core {

// Fills an empty `world` from `spec` at `now`: ids come from `ids`, generated bridges from a
// generator seeded with `seed`. Errors name what is wrong ("/conversations/2: ...").
Status BuildWorld(const WorldSpec& spec, WorldState& world, IdGenerator& ids, TimePoint now,
                  uint64_t seed);

// Adds a conversation that starts at `now`, with its legs; returns its id.
Result<std::string> AddConversationTo(WorldState& world, IdGenerator& ids,
                                      const ConversationSpec& spec, TimePoint now);
// Adds a leg that joins `conv` at `now`; returns its id.
Result<std::string> AddLegTo(WorldState& world, IdGenerator& ids, Conversation& conv,
                             const LegSpec& spec, TimePoint now);

// Ok when `world` may take `conversations` and `legs` more; else a bad.request naming the limit.
Status CheckGrowth(const WorldState& world, const WorldLimits& limits, size_t conversations,
                   size_t legs);
// Every userId and queueId of `legs` names one of the world's users and queues (invalid.value).
Status CheckReferences(const WorldState& world, const std::vector<LegSpec>& legs);

}  // namespace gcsim::core
