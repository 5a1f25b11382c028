#include "hso/kube/errors.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <utility>

#include "hso/kube/status_error.hpp"
#include "hso/util/json_access.hpp"

namespace hso::kube {
namespace {

constexpr std::size_t kMaxMessageBytes = 1024;

constexpr std::array<std::pair<StatusReason, const char*>, 18> kReasonNames{{
    {StatusReason::kUnknown, ""},
    {StatusReason::kBadRequest, "BadRequest"},
    {StatusReason::kUnauthorized, "Unauthorized"},
    {StatusReason::kForbidden, "Forbidden"},
    {StatusReason::kNotFound, "NotFound"},
    {StatusReason::kAlreadyExists, "AlreadyExists"},
    {StatusReason::kConflict, "Conflict"},
    {StatusReason::kGone, "Gone"},
    {StatusReason::kExpired, "Expired"},
    {StatusReason::kInvalid, "Invalid"},
    {StatusReason::kTooManyRequests, "TooManyRequests"},
    {StatusReason::kInternalError, "InternalError"},
    {StatusReason::kServiceUnavailable, "ServiceUnavailable"},
    {StatusReason::kTimeout, "Timeout"},
    {StatusReason::kServerTimeout, "ServerTimeout"},
    {StatusReason::kMethodNotAllowed, "MethodNotAllowed"},
    {StatusReason::kUnsupportedMediaType, "UnsupportedMediaType"},
    {StatusReason::kRequestEntityTooLarge, "RequestEntityTooLarge"},
}};

std::string describe(int code, StatusReason reason, const std::string& message) {
  std::string text = "API error " + std::to_string(code);
  if (reason != StatusReason::kUnknown) {
    text += " ";
    text += to_string(reason);
  }
  if (!message.empty()) {
    text += ": ";
    text += message;
  }
  return text;
}

std::string truncate(std::string_view text) {
  if (text.size() <= kMaxMessageBytes)
    return std::string(text);
  return std::string(text.substr(0, kMaxMessageBytes)) + "...";
}

// details.retryAfterSeconds, at most kMaxRetryAfter; nullopt unless a number of seconds.
std::optional<std::chrono::seconds> retry_after_seconds(const nlohmann::json& value) {
  const auto cap = static_cast<std::uint64_t>(kMaxRetryAfter.count());
  if (value.is_number_unsigned()) {  // before is_number_integer, which includes it
    return std::chrono::seconds(
        static_cast<std::int64_t>(std::min(value.get<std::uint64_t>(), cap)));
  }
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
    return std::chrono::seconds(std::min(value.get<std::int64_t>(), kMaxRetryAfter.count()));
  return std::nullopt;
}

}  // namespace

ApiError::ApiError(int code, StatusReason reason, std::string message,
                   std::optional<std::chrono::seconds> retry_after)
    : std::runtime_error(describe(code, reason, message)),
      code_(code),
      reason_(reason),
      status_message_(std::move(message)),
      retry_after_(retry_after) {}

StatusReason parse_status_reason(std::string_view reason) {
  if (reason.empty())
    return StatusReason::kUnknown;
  for (const auto& [value, name] : kReasonNames) {
    if (reason == name)
      return value;
  }
  return StatusReason::kUnknown;
}

const char* to_string(StatusReason reason) {
  for (const auto& [value, name] : kReasonNames) {
    if (value == reason)
      return value == StatusReason::kUnknown ? "Unknown" : name;
  }
  return "Unknown";
}

StatusReason reason_for_code(int http_code) {
  switch (http_code) {
    case 400:
      return StatusReason::kBadRequest;
    case 401:
      return StatusReason::kUnauthorized;
    case 403:
      return StatusReason::kForbidden;
    case 404:
      return StatusReason::kNotFound;
    case 405:
      return StatusReason::kMethodNotAllowed;
    case 409:
      return StatusReason::kConflict;
    case 410:
      return StatusReason::kGone;
    case 413:
      return StatusReason::kRequestEntityTooLarge;
    case 415:
      return StatusReason::kUnsupportedMediaType;
    case 422:
      return StatusReason::kInvalid;
    case 429:
      return StatusReason::kTooManyRequests;
    case 500:
      return StatusReason::kInternalError;
    case 503:
      return StatusReason::kServiceUnavailable;
    case 504:
      return StatusReason::kServerTimeout;
    default:
      return StatusReason::kUnknown;
  }
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view header_value) {
  while (!header_value.empty() && header_value.front() == ' ')
    header_value.remove_prefix(1);
  while (!header_value.empty() && header_value.back() == ' ')
    header_value.remove_suffix(1);
  if (header_value.empty())
    return std::nullopt;
  long long seconds = 0;
  const auto* end = header_value.data() + header_value.size();
  const auto [ptr, ec] = std::from_chars(header_value.data(), end, seconds);
  if (ec == std::errc::result_out_of_range && ptr == end && header_value.front() != '-')
    return kMaxRetryAfter;
  if (ec != std::errc() || ptr != end || seconds < 0)
    return std::nullopt;
  return std::min(std::chrono::seconds(seconds), kMaxRetryAfter);
}

ApiError api_error_from_status(const nlohmann::json& status, int fallback_code) {
  int code = fallback_code;
  StatusReason reason = StatusReason::kUnknown;
  std::string message;
  std::optional<std::chrono::seconds> retry_after;
  if (status.is_object()) {
    if (auto it = status.find("code"); it != status.end() && it->is_number_integer()) {
      const auto value = it->get<std::int64_t>();
      if (value >= 100 && value <= 599)
        code = static_cast<int>(value);
    }
    if (auto it = status.find("reason"); it != status.end() && it->is_string()) {
      reason = parse_status_reason(it->get_ref<const std::string&>());
    }
    if (auto it = status.find("message"); it != status.end() && it->is_string()) {
      message = truncate(it->get_ref<const std::string&>());
    }
    if (auto details = status.find("details"); details != status.end() && details->is_object()) {
      if (auto it = details->find("retryAfterSeconds"); it != details->end()) {
        retry_after = retry_after_seconds(*it);
      }
    }
  }
  if (reason == StatusReason::kUnknown)
    reason = reason_for_code(code);
  return ApiError(code, reason, std::move(message), retry_after);
}

ApiError api_error_from_response(int http_code, std::string_view body,
                                 std::string_view retry_after_header) {
  auto header_retry_after = parse_retry_after(retry_after_header);
  nlohmann::json status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json_string_at(status, "kind") == "Status") {
    ApiError decoded = api_error_from_status(status, http_code);
    // The HTTP code is authoritative; a Status that disagrees keeps its reason.
    return ApiError(http_code, decoded.reason(), decoded.status_message(),
                    header_retry_after ? header_retry_after : decoded.retry_after());
  }
  return ApiError(http_code, reason_for_code(http_code), truncate(body), header_retry_after);
}

}  // namespace hso::kube
