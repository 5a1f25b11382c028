#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace hso::config {

// The longest duration parse_duration accepts: what a Lease's leaseDurationSeconds (an int32) can
// carry, about 68 years. It keeps every use of a configured duration free of overflow: in
// nanoseconds with jitter, in milliseconds times 12, or added to any clock's now().
inline constexpr std::chrono::milliseconds kMaxDuration =
    std::chrono::seconds{std::numeric_limits<std::int32_t>::max()};

enum class DurationError { kMalformed, kOutOfRange };

// Parses a Go-style duration ("15s", "1m30s", "500ms", "2h"), rounded to whole milliseconds;
// nullopt when malformed, negative or longer than kMaxDuration, and then `error`, when given,
// says which.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        DurationError* error = nullptr);
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace hso::config
