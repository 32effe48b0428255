#include "gcsim/client/models.h"

namespace gcsim::client {

bool CallConversation::Ended() const {
  for (const CallParticipant& p : participants) {
    if (p.state != "terminated") return false;
  }
  return true;
}

const CallParticipant* CallConversation::FindParticipant(const std::string& participant_id) const {
  for (const CallParticipant& p : participants) {
    if (p.id == participant_id) return &p;
  }
  return nullptr;
}

}  // namespace gcsim::client
