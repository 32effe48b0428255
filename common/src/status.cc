#include "gcsim/common/status.h"

namespace gcsim {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kResourceExhausted: return "resource_exhausted";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kDeadlineExceeded: return "deadline_exceeded";
    case StatusCode::kUnimplemented: return "unimplemented";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = StatusCodeName(code_);
  if (!reason_.empty()) out += " (" + reason_ + ")";
  out += ": " + message_;
  return out;
}

Status InvalidArgumentError(std::string message, std::string reason) {
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(reason));
}
Status NotFoundError(std::string message, std::string reason) {
  return Status(StatusCode::kNotFound, std::move(message), std::move(reason));
}
Status FailedPreconditionError(std::string message, std::string reason) {
  return Status(StatusCode::kFailedPrecondition, std::move(message), std::move(reason));
}
Status UnavailableError(std::string message, std::string reason) {
  return Status(StatusCode::kUnavailable, std::move(message), std::move(reason));
}
Status InternalError(std::string message, std::string reason) {
  return Status(StatusCode::kInternal, std::move(message), std::move(reason));
}

}  // namespace gcsim
