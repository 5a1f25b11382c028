#include "hso/config/duration.hpp"

#include <array>
#include <cmath>
#include <utility>

namespace hso::config {
namespace {

// Longest unit names first so "ms" is not read as "m".
constexpr std::array<std::pair<std::string_view, double>, 7> kUnitsInMilliseconds{{
    {"ns", 1e-6},
    {"us", 1e-3},
    {"ms", 1.0},
    {"s", 1e3},
    {"m", 60e3},
    {"h", 3600e3},
    {"d", 86400e3},
}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text == "0")
    return std::chrono::milliseconds{0};
  if (text.empty())
    return std::nullopt;
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t number_start = i;
    while (i < text.size() && (is_digit(text[i]) || text[i] == '.'))
      ++i;
    const std::string number(text.substr(number_start, i - number_start));
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) {
      return std::nullopt;
    }
    const double value = std::stod(number);
    std::optional<double> unit_ms;
    for (const auto& [unit, ms] : kUnitsInMilliseconds) {
      if (text.substr(i, unit.size()) == unit) {
        // "m" must not swallow the "m" of "ms"; the table order already prefers "ms".
        unit_ms = ms;
        i += unit.size();
        break;
      }
    }
    if (!unit_ms)
      return std::nullopt;
    total_ms += value * *unit_ms;
  }
  if (!std::isfinite(total_ms) || total_ms > 1e15)
    return std::nullopt;
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::llround(total_ms))};
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 != 0)
    return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

}  // namespace hso::config
