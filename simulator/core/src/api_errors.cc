#include "gcsim/core/api_errors.h"

#include <array>

namespace gcsim::core {
namespace {

constexpr std::array<ApiError, 21> kApiErrors{{
    {codes::kBadRequest, 400, StatusCode::kInvalidArgument, "The request could not be understood by the server due to malformed syntax."},
    {codes::kInvalidValue, 400, StatusCode::kInvalidArgument, "Value is not valid for the field type."},
    {codes::kInvalidDate, 400, StatusCode::kInvalidArgument, "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ"},
    {codes::kCallDisconnected, 400, StatusCode::kFailedPrecondition, "The call is already disconnected."},
    {codes::kHoldAlerting, 400, StatusCode::kFailedPrecondition, "An alerting call cannot be held."},
    {codes::kNotAUser, 400, StatusCode::kPermissionDenied, "This request requires a user context. Client credentials cannot be used for requests to this resource."},
    {codes::kWrapupCodeRequired, 400, StatusCode::kInvalidArgument, "A wrap-up code is required."},
    {codes::kWrapupCannotSkip, 400, StatusCode::kFailedPrecondition, "Wrap-up cannot be skipped for this participant."},
    {codes::kCommunicationStateRequired, 400, StatusCode::kInvalidArgument, "A communication state is required."},
    {codes::kNotParticipant, 404, StatusCode::kNotFound, "User is not a participant in the conversation."},
    {codes::kNotFound, 404, StatusCode::kNotFound, "The requested resource was not found."},
    {codes::kAuthRequired, 401, StatusCode::kUnauthenticated, "No authentication bearer token specified in authorization header."},
    {codes::kBadCredentials, 401, StatusCode::kUnauthenticated, "Invalid login credentials."},
    {codes::kMethodNotAllowed, 405, StatusCode::kInvalidArgument, "The requested method is not supported on this resource."},
    {codes::kConflict, 409, StatusCode::kFailedPrecondition, "The request conflicts with the current state."},
    {codes::kTooLarge, 413, StatusCode::kInvalidArgument, "The request is too large."},
    {codes::kUnsupportedMediaType, 415, StatusCode::kInvalidArgument, "Unsupported Media Type - Unsupported or incorrect media type, such as an incorrect Content-Type value in the header."},
    {codes::kTooManyRequests, 429, StatusCode::kResourceExhausted, "Rate limit exceeded the maximum."},
    {codes::kNotImplemented, 501, StatusCode::kUnimplemented, "Not implemented by gcsim."},
    {codes::kInternal, 500, StatusCode::kInternal, "The server encountered an unexpected condition which prevented it from fulfilling the request."},
    {codes::kUnavailable, 503, StatusCode::kUnavailable, "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance)."},
}};

}  // namespace

const ApiError* FindApiError(std::string_view code) {
  for (const ApiError& error : kApiErrors) {
    if (error.code == code) return &error;
  }
  return nullptr;
}

Status ApiStatus(std::string_view code, std::string message) {
  const ApiError* error = FindApiError(code);
  if (error == nullptr) return InternalError("unknown API error code " + std::string(code));
  if (message.empty()) message = std::string(error->message);
  return Status(error->status_code, std::move(message), std::string(code));
}

Status ConversationNotFound(const std::string& id) {
  return ApiStatus(codes::kNotFound, "Conversation " + id + " not found.");
}

Status UserNotFound(const std::string& id) {
  return ApiStatus(codes::kNotFound, "User " + id + " not found.");
}

Status ParticipantNotFound(const std::string& id) {
  return ApiStatus(codes::kNotFound, "Participant " + id + " not found.");
}

int HttpStatusOf(const Status& status) {
  if (status.ok()) return 200;
  if (const ApiError* error = FindApiError(status.reason())) return error->http_status;
  switch (status.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}

std::string ApiCodeOf(const Status& status) {
  if (!status.reason().empty()) return status.reason();
  switch (HttpStatusOf(status)) {
    case 400: return std::string(codes::kBadRequest);
    case 401: return std::string(codes::kBadCredentials);
    case 403: return "missing.permissions";
    case 404: return std::string(codes::kNotFound);
    case 429: return std::string(codes::kTooManyRequests);
    case 501: return std::string(codes::kNotImplemented);
    case 503: return std::string(codes::kUnavailable);
    case 504: return "request.timeout";
    default: return std::string(codes::kInternal);
  }
}

}  // namespace gcsim::core
