// Status and Result<T>: how every library boundary in gcsim reports failure.
// The code says what a caller should do next: kUnavailable and kResourceExhausted are worth
// retrying, kFailedPrecondition and kInvalidArgument are not.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gcsim {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // the request itself is wrong; do not retry
  kNotFound,            // no such entity
  kFailedPrecondition,  // the world is not in a state that allows it; do not retry
  kUnauthenticated,     // no or bad credentials
  kPermissionDenied,    // credentials fine, not allowed
  kResourceExhausted,   // rate limited; retry after the announced delay
  kUnavailable,         // transient failure; retry with backoff
  kDeadlineExceeded,    // timed out; retry with backoff
  kUnimplemented,       // asked for something gcsim does not model
  kInternal,            // a bug
};

// Stable lower-case name ("invalid_argument"), for logs and reports.
const char* StatusCodeName(StatusCode code);

// A code, a human message, and an optional machine reason (for API errors, the Genesys error
// code such as "conversation.error.call.disconnected"). Cheap to copy when ok.
class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string reason = {})
      : code_(code), message_(std::move(message)), reason_(std::move(reason)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& reason() const { return reason_; }

  // "not_found: Conversation abc not found", for logs.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string reason_;
};

Status InvalidArgumentError(std::string message, std::string reason = {});
Status NotFoundError(std::string message, std::string reason = {});
Status FailedPreconditionError(std::string message, std::string reason = {});
Status UnavailableError(std::string message, std::string reason = {});
Status InternalError(std::string message, std::string reason = {});

// A value or the Status explaining why there is none. g++ 12 has no std::expected.
template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok() && "a Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error, or an ok Status when there is a value.
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace gcsim
