#include "hso/http/bind_address.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace hso::http {
namespace {

int parse_port(std::string_view text, std::string_view whole) {
  int port = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || port < 0 ||
      port > 65535) {
    throw std::invalid_argument("bad port in bind address \"" + std::string(whole) + "\"");
  }
  return port;
}

}  // namespace

std::optional<BindAddress> parse_bind_address(std::string_view text) {
  if (text == "0") {
    return std::nullopt;
  }
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':' ||
        close == 1) {
      throw std::invalid_argument("bad bind address \"" + std::string(text) +
                                  "\": expected [ipv6]:port");
    }
    return BindAddress{std::string(text.substr(1, close - 1)),
                       parse_port(text.substr(close + 2), text)};
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || text.find(':') != colon) {
    throw std::invalid_argument("bad bind address \"" + std::string(text) +
                                "\": expected host:port, :port, [ipv6]:port or 0");
  }
  return BindAddress{std::string(text.substr(0, colon)), parse_port(text.substr(colon + 1), text)};
}

}  // namespace hso::http
