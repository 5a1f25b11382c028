#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hso::http {

struct BindAddress {
  std::string host;  // empty: all interfaces (IPv6 and IPv4 where available)
  int port = 0;      // 0: pick a free port
};

// Parses the flag forms "0" (listener off: nullopt), ":8080", "127.0.0.1:8080", "[::1]:8080",
// "localhost:8080". Throws std::invalid_argument for anything else.
std::optional<BindAddress> parse_bind_address(std::string_view text);

}  // namespace hso::http
