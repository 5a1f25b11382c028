#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hso::config {

// Parses a Go-style duration ("15s", "1m30s", "500ms", "2h"); nullopt when malformed or negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace hso::config
