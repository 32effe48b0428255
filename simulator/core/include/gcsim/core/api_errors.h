// The one table of Genesys error codes gcsim answers with: code -> HTTP status and message.
// A Status whose reason() is one of these codes renders as that ErrorBody.
#pragma once

#include <string>
#include <string_view>

#include "gcsim/common/status.h"

namespace gcsim::core {

struct ApiError {
  std::string_view code;     // Genesys `code`, e.g. "conversation.error.call.disconnected"
  int http_status;           // 400, 401, ...
  StatusCode status_code;    // what a caller of the core should do about it
  std::string_view message;  // the API's default message
};

// Null when `code` is not in the table.
const ApiError* FindApiError(std::string_view code);

// A Status for `code`, with the table's message unless `message` is given.
Status ApiStatus(std::string_view code, std::string message = {});

// The API's 404s for an unknown conversation or participant id.
Status ConversationNotFound(const std::string& id);
Status ParticipantNotFound(const std::string& id);
Status UserNotFound(const std::string& id);

// HTTP status for any Status: the table's for a known reason, else by StatusCode.
int HttpStatusOf(const Status& status);
// Genesys code for any Status: its reason, else a generic code for its StatusCode.
std::string ApiCodeOf(const Status& status);

namespace codes {
inline constexpr std::string_view kBadRequest = "bad.request";
inline constexpr std::string_view kInvalidValue = "invalid.value";
inline constexpr std::string_view kInvalidDate = "invalid.date";
inline constexpr std::string_view kCallDisconnected = "conversation.error.call.disconnected";
inline constexpr std::string_view kHoldAlerting = "conversation.error.hold.alerting";
inline constexpr std::string_view kNotAUser = "not.a.user";
inline constexpr std::string_view kWrapupCodeRequired = "conversation.error.wrapup.code.required";
inline constexpr std::string_view kWrapupCannotSkip = "conversation.error.wrapup.cannot.skip";
inline constexpr std::string_view kCommunicationStateRequired = "communication.state.required";
inline constexpr std::string_view kNotParticipant = "conversation.error.not.conversation.participant";
inline constexpr std::string_view kNotFound = "not.found";
inline constexpr std::string_view kAuthRequired = "authentication.required";
inline constexpr std::string_view kBadCredentials = "bad.credentials";
inline constexpr std::string_view kMethodNotAllowed = "method.not.allowed";
inline constexpr std::string_view kConflict = "conflict";
inline constexpr std::string_view kTooLarge = "request.entity.too.large";
inline constexpr std::string_view kUnsupportedMediaType = "unsupported.media.type";
inline constexpr std::string_view kTooManyRequests = "too.many.requests.retry.after";
inline constexpr std::string_view kNotImplemented = "not.implemented";
inline constexpr std::string_view kInternal = "internal.server.error";
inline constexpr std::string_view kUnavailable = "service.unavailable";
}  // namespace codes

}  // namespace gcsim::core
