#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hso {

// RFC 3339 as the API server and credential plugins write it ("2024-05-01T10:00:00Z"): an
// optional fraction of a second (dropped), then "Z" or a "+HH:MM"/"-HH:MM" offset. nullopt when
// malformed or not a calendar date. Past what system_clock holds (nanosecond ticks: before 1677,
// after 2262) the time saturates to min()/max(), so an expiry in year 9999 means "not soon".
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// metav1.Time's wire form: RFC 3339 in UTC, whole seconds, "2024-05-01T12:00:00Z".
std::string format_rfc3339(std::chrono::sys_seconds time);

// metav1.MicroTime's wire form: RFC 3339 in UTC with six fraction digits,
// "2024-05-01T12:00:00.123456Z".
std::string format_micro_time(std::chrono::system_clock::time_point time);

}  // namespace hso
