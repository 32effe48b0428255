// The Genesys API's request bodies as typed values. The HTTP layer reads them from JSON
// (simulator/http/src/requests.cc) and the core judges them (api_writes.cc): the core never
// sees the wire format. Keys a body carries that the API does not know are kept by name, so
// that the ignored-fields diagnosis (and the strict profile) still sees them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gcsim/common/status.h"
#include "gcsim/common/time.h"
#include "gcsim/core/model.h"
#include "gcsim/core/world.h"

namespace gcsim::core {

// A body field as sent: absent, present with a value of the right type, or present with a
// value of the wrong type. The core refuses the last, naming the field, in the order the
// API checks its fields, after the ids: a malformed field of an unknown leg is a 404.
template <typename T>
struct Sent {
  Sent() = default;
  Sent(T sent) : present(true), value(std::move(sent)) {}  // NOLINT: a value was sent
  static Sent WrongType() {
    Sent out;
    out.present = true;
    return out;
  }
  bool wrong_type() const { return present && !value; }

  bool present = false;
  std::optional<T> value;  // empty when absent or of the wrong type
};

// PATCH .../participants/{pid}: MediaParticipantRequest.
struct MediaParticipantRequest {
  Sent<std::string> state;  // the text sent; the core reads the enum
  Sent<bool> held;
  Sent<bool> muted;
  Sent<bool> confined;
  Sent<bool> recording;
  Sent<bool> wrapup_skipped;
  Sent<TimePoint> resume_time;  // wrong type also for a string that is not an ISO-8601 date
  std::optional<Wrapup> wrapup;
  // Set when `wrapup` was sent but is not a WrapupInput ("wrapup.code must be a string").
  std::optional<std::string> wrapup_error;
  // Keys the API does not know, WrapupInput's as "wrapup.<key>"; sorted unless wrapup_error.
  std::vector<std::string> unknown_fields;
};

// POST .../participants/{pid}/communications/{commId}/wrapup: a WrapupInput.
struct WrapupRequest {
  std::optional<Wrapup> wrapup;
  // Set when the body is not a WrapupInput ("wrapup.code must be a string.").
  std::optional<std::string> error;
  std::vector<std::string> unknown_fields;  // as "wrapup.<key>", sorted
};

// PATCH /api/v2/conversations/calls/{cid}.
struct ConversationUpdateRequest {
  // The state sent: a string's text, or the JSON text of any other value.
  std::optional<std::string> state;
  bool state_is_string = false;
  std::vector<std::string> unknown_fields;
};

// POST /api/v2/conversations/calls, already checked for shape (every field of the right type,
// participants each with an address, userId or queueId).
struct CreateCallRequest {
  std::optional<std::string> phone_number;
  std::optional<std::string> call_user_id;
  std::optional<std::string> call_queue_id;
  std::vector<LegSpec> participants;
};

// POST /api/v2/conversations/calls/{cid}/participants.
struct AddParticipantsRequest {
  std::vector<LegSpec> participants;
  // Why the body is not a Conversation with participants[]; reported after the conversation
  // id is found, as the API does.
  Status malformed;
};

// POST .../participants/{pid}/replace: a TransferRequest (the leg's blind transfer).
struct TransferRequest {
  LegSpec target;  // the user, queue or address the leg is replaced by
  // Why the body is not a TransferRequest naming a target; reported after the ids.
  Status malformed;
};

// Who the consulting participant speaks to during a consult transfer.
enum class SpeakTo { kDestination, kObject, kBoth, kConference };
std::optional<SpeakTo> ParseSpeakTo(const std::string& text);
const char* ToString(SpeakTo speak_to);

// POST .../participants/{pid}/consult (ConsultTransfer) and PATCH of it (ConsultTransferUpdate,
// no destination).
struct ConsultRequest {
  std::optional<LegSpec> destination;
  SpeakTo speak_to = SpeakTo::kDestination;
  std::string consulting_user_id;  // empty: the token's user
  Status malformed;
};

}  // namespace gcsim::core
