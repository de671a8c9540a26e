#pragma once

#include <string>
#include <utility>

namespace corral {

// Expected failures travel as values. The code says what kind of failure it is; the API layer maps
// codes to HTTP statuses in exactly one place (api/http_status.cc).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // malformed or out-of-range input; `field` names the offending path
  kNotFound,           // no such object, or one the caller may not see
  kAlreadyExists,
  kUnauthenticated,    // missing or wrong credentials
  kPermissionDenied,   // authenticated, but not allowed
  kFailedPrecondition, // object is in a state that forbids the operation
  kInfeasible,         // request can never be satisfied by this cluster (not "not now")
  kResourceExhausted,  // too large, too many
  kUnavailable,        // try again later
  kInternal,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Path of the input field the error is about ("spec.replicas[0].gpus"); empty when not about one.
  const std::string& field() const { return field_; }

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string field, std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message), std::move(field)};
}
inline Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }
inline Status FailedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}

}  // namespace corral

// Propagates a non-ok Status from an expression returning Status.
#define CORRAL_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::corral::Status corral_status_ = (expr); \
    if (!corral_status_.ok()) return corral_status_; \
  } while (0)
