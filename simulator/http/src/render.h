// Core entities as the Genesys API shows them, written straight to JSON text: these are the
// hottest responses (every GET a reaper sends), and building a JSON tree first cost several
// times the read itself. Absent optional fields are left out rather than sent empty; times
// are ISO-8601 with milliseconds.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "gcsim/core/model.h"
#include "gcsim/core/simulator.h"

namespace gcsim::http {

std::string ConversationUri(const std::string& conversation_id);

// GET /api/v2/conversations/{id}: a Conversation with Participant and Call entries.
std::string ConversationText(const core::Conversation& conv);

// GET /api/v2/conversations/calls/{id}: a CallConversation with CallMediaParticipants.
std::string CallConversationText(const core::WorldView& world, const core::Conversation& conv);

// A wrap-up code as GET /api/v2/routing/wrapupcodes lists it: {id, name, selfUri}.
nlohmann::json WrapupCodeJson(const core::WrapupCode& code);

}  // namespace gcsim::http
