#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace hso::kube {

// The `reason` of a metav1.Status, so callers branch on what happened without string matching.
enum class StatusReason {
  kUnknown,
  kBadRequest,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kGone,
  kExpired,
  kInvalid,
  kTooManyRequests,
  kInternalError,
  kServiceUnavailable,
  kTimeout,
  kServerTimeout,
  kMethodNotAllowed,
  kUnsupportedMediaType,
  kRequestEntityTooLarge,
};

// An answer from the API server that is not a success: HTTP status code plus the decoded
// metav1.Status (reason, message, Retry-After).
class ApiError : public std::runtime_error {
 public:
  ApiError(int code, StatusReason reason, std::string message,
           std::optional<std::chrono::seconds> retry_after = std::nullopt);

  int code() const { return code_; }
  StatusReason reason() const { return reason_; }
  const std::string& status_message() const { return status_message_; }
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }

  bool is_not_found() const { return reason_ == StatusReason::kNotFound || code_ == 404; }
  bool is_already_exists() const { return reason_ == StatusReason::kAlreadyExists; }
  bool is_conflict() const { return reason_ == StatusReason::kConflict || code_ == 409; }
  // 410: the resourceVersion is too old; relist.
  bool is_gone() const {
    return reason_ == StatusReason::kGone || reason_ == StatusReason::kExpired || code_ == 410;
  }
  bool is_invalid() const { return reason_ == StatusReason::kInvalid || code_ == 422; }
  bool is_forbidden() const { return reason_ == StatusReason::kForbidden || code_ == 403; }
  bool is_unauthorized() const { return reason_ == StatusReason::kUnauthorized || code_ == 401; }
  bool is_too_many_requests() const {
    return reason_ == StatusReason::kTooManyRequests || code_ == 429;
  }
  // Worth retrying later with backoff: throttling, timeouts and server-side failures.
  bool is_retryable() const { return code_ == 429 || code_ >= 500; }

 private:
  int code_;
  StatusReason reason_;
  std::string status_message_;
  std::optional<std::chrono::seconds> retry_after_;
};

// The request never got an HTTP answer: connection refused, TLS failure, timeout, cancelled.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A write withheld before it was sent because this replica may not write now (it is not the
// leader, or its leadership could have expired by the time the write lands). Thrown by the
// client's `before_write` hook; the reconciler reports it as "not leading", not as a failure.
class WriteNotAllowed : public std::runtime_error {
 public:
  WriteNotAllowed() : std::runtime_error("not the leader: write withheld") {}
};

// The client configuration (kubeconfig, in-cluster files, flags) cannot be used. The message
// names the file and the field.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

StatusReason parse_status_reason(std::string_view reason);
const char* to_string(StatusReason reason);

}  // namespace hso::kube
