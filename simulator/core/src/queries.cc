// Read-only rules over a WorldView: what the API's queries find in the world. The HTTP layer
// parses the query and writes the answer; the rule of what matches is here.
#include "gcsim/core/simulator.h"

namespace gcsim::core {

QueueObservation ObserveQueue(const WorldView& world, const std::string& queue_id) {
  QueueObservation out;
  for (const Conversation* conv : world.ConversationsByStart()) {
    if (conv->end_time) continue;
    bool acd_waiting = false;
    bool staffed = false;
    for (const Participant* leg : conv->participants) {
      if (leg->state != LegState::kConnected) continue;
      const bool works_calls = leg->purpose == Purpose::kAgent || leg->purpose == Purpose::kUser;
      staffed |= works_calls;
      if (leg->queue_id != queue_id) continue;
      if (works_calls) ++out.interacting;
      if (leg->purpose == Purpose::kAcd) acd_waiting = true;
    }
    if (acd_waiting && !staffed) ++out.waiting;
  }
  return out;
}

}  // namespace gcsim::core
