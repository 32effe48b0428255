// Core entities as the Genesys API shows them. Absent optional fields are left out rather than
// sent empty; times are ISO-8601 with milliseconds.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "gcsim/core/model.h"
#include "gcsim/core/simulator.h"

namespace gcsim::http {

std::string ConversationUri(const std::string& conversation_id);

// GET /api/v2/conversations/{id}: a Conversation with Participant and Call entries.
nlohmann::json ConversationJson(const core::Conversation& conv);

// GET /api/v2/conversations/calls/{id}: a CallConversation with CallMediaParticipants.
nlohmann::json CallConversationJson(const core::WorldView& world, const core::Conversation& conv);

}  // namespace gcsim::http
