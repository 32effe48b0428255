// Genesys request bodies, from JSON to the core's typed requests (gcsim/core/requests.h).
// Only the wire format is read here: field names, JSON types, timestamps. What a request may do
// to the world is the core's to judge (simulator/core/src/api_writes.cc).
#pragma once

#include <nlohmann/json.hpp>

#include "gcsim/common/status.h"
#include "gcsim/core/requests.h"

namespace gcsim::http {

// Never fails: a field of the wrong type is marked so (core::Sent) and the core refuses it in
// the API's order, after the ids. `body` is a JSON object (the router sees to it).
core::MediaParticipantRequest ReadMediaParticipantRequest(const nlohmann::json& body);
core::ConversationUpdateRequest ReadConversationUpdateRequest(const nlohmann::json& body);
// bad.request naming the field for a body of the wrong shape; conversationIds (merging calls)
// is not modelled and says so.
Result<core::CreateCallRequest> ReadCreateCallRequest(const nlohmann::json& body);
// Never fails: a body of the wrong shape is kept as `malformed`, reported after the id.
core::AddParticipantsRequest ReadAddParticipantsRequest(const nlohmann::json& body);

// POST .../participants/{pid}/replace: a TransferRequest (userId, queueId or address; userName).
// Never fails: a body of the wrong shape is kept as `malformed`, reported after the ids.
core::TransferRequest ReadTransferRequest(const nlohmann::json& body);
// POST .../consult (a ConsultTransfer with a destination) and its PATCH (a
// ConsultTransferUpdate: speakTo). Never fails, as above.
core::ConsultRequest ReadConsultRequest(const nlohmann::json& body, bool with_destination);

// POST .../communications/{commId}/wrapup: a WrapupInput body. Never fails: a body of the wrong
// shape is kept as `error`, reported after the ids.
core::WrapupRequest ReadWrapupRequest(const nlohmann::json& body);

// A WrapupInput object. Keys it does not know are listed in `ignored` as "wrapup.<key>", as the
// API ignores them. Errors name the field ("wrapup.code must be a string.").
Result<core::Wrapup> ReadWrapup(const nlohmann::json& value, std::vector<std::string>& ignored);

}  // namespace gcsim::http
