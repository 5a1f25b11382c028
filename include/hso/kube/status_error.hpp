#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "hso/kube/errors.hpp"

namespace hso::kube {

// The reason the API server would give for a bare HTTP status code, for answers whose body is
// not a metav1.Status (e.g. from a proxy in front of the API server).
StatusReason reason_for_code(int http_code);

// The longest wait a Retry-After (header or details.retryAfterSeconds) can ask for; longer ones
// are cut to it. An API server asks for seconds; without a bound a proxy's answer could stall an
// informer for years, or overflow the clock arithmetic of the wait.
inline constexpr std::chrono::seconds kMaxRetryAfter = std::chrono::hours(1);

// Retry-After in delta-seconds form (the only form the API server sends), at most
// kMaxRetryAfter; nullopt otherwise.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view header_value);

// Decodes a metav1.Status object, e.g. the object of a watch ERROR event. `fallback_code` is used
// when the Status carries no code.
ApiError api_error_from_status(const nlohmann::json& status, int fallback_code = 500);

// Decodes a non-success HTTP answer. The body is usually a metav1.Status; anything else becomes
// the message (truncated). A Retry-After header wins over details.retryAfterSeconds.
ApiError api_error_from_response(int http_code, std::string_view body,
                                 std::string_view retry_after_header = {});

}  // namespace hso::kube
