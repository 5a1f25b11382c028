#include "hso/config/duration.hpp"

#include <array>
#include <utility>

namespace hso::config {
namespace {

using Nanoseconds = std::uint64_t;

constexpr Nanoseconds kMaxNanoseconds =
    static_cast<Nanoseconds>(std::chrono::nanoseconds(kMaxDuration).count());

// Longest unit names first so "ms" is not read as "m".
constexpr std::array<std::pair<std::string_view, Nanoseconds>, 7> kUnits{{
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
    {"d", 86'400'000'000'000},
}};

// Fraction digits past this many are below a nanosecond of any unit and are dropped.
constexpr std::size_t kMaxFractionDigits = 18;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The number of one "<number><unit>" term.
struct Term {
  Nanoseconds whole = 0;     // the integer part, saturated at kMaxNanoseconds + 1
  Nanoseconds fraction = 0;  // the fraction's digits, as an integer
  double fraction_scale = 1;
};

std::optional<Term> read_number(std::string_view text, std::size_t& i) {
  Term term;
  std::size_t digits = 0;
  while (i < text.size() && is_digit(text[i])) {
    const auto digit = static_cast<Nanoseconds>(text[i] - '0');
    term.whole =
        term.whole > (kMaxNanoseconds - digit) / 10 ? kMaxNanoseconds + 1 : term.whole * 10 + digit;
    ++digits;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t fraction_digits = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (fraction_digits < kMaxFractionDigits) {
        term.fraction = term.fraction * 10 + static_cast<Nanoseconds>(text[i] - '0');
        term.fraction_scale *= 10;
      }
      ++fraction_digits;
      ++digits;
      ++i;
    }
  }
  if (digits == 0)
    return std::nullopt;
  return term;
}

std::optional<Nanoseconds> read_unit(std::string_view text, std::size_t& i) {
  for (const auto& [unit, nanoseconds] : kUnits) {
    if (text.substr(i, unit.size()) == unit) {
      i += unit.size();
      return nanoseconds;
    }
  }
  return std::nullopt;
}

// nullopt when the term is longer than kMaxNanoseconds.
std::optional<Nanoseconds> term_nanoseconds(const Term& term, Nanoseconds unit) {
  if (term.whole > kMaxNanoseconds / unit)
    return std::nullopt;
  // Below one unit, so a double's precision is enough and nothing can overflow.
  const auto fraction = static_cast<Nanoseconds>(static_cast<double>(term.fraction) *
                                                 (static_cast<double>(unit) / term.fraction_scale));
  const Nanoseconds total = term.whole * unit + fraction;
  if (total > kMaxNanoseconds)
    return std::nullopt;
  return total;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        DurationError* error) {
  auto fail = [error](DurationError why) -> std::optional<std::chrono::milliseconds> {
    if (error != nullptr)
      *error = why;
    return std::nullopt;
  };
  if (text == "0")
    return std::chrono::milliseconds{0};
  if (text.empty())
    return fail(DurationError::kMalformed);
  Nanoseconds total = 0;
  bool out_of_range = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto term = read_number(text, i);
    if (!term)
      return fail(DurationError::kMalformed);
    const auto unit = read_unit(text, i);
    if (!unit)
      return fail(DurationError::kMalformed);
    // Keep reading after an overflow: a malformed text is reported as malformed.
    const auto nanoseconds = term_nanoseconds(*term, *unit);
    if (!nanoseconds || *nanoseconds > kMaxNanoseconds - total) {
      out_of_range = true;
    } else {
      total += *nanoseconds;
    }
  }
  if (out_of_range)
    return fail(DurationError::kOutOfRange);
  constexpr Nanoseconds kNanosecondsPerMillisecond = 1'000'000;
  const Nanoseconds rounded = (total + kNanosecondsPerMillisecond / 2) / kNanosecondsPerMillisecond;
  return std::chrono::milliseconds{static_cast<std::chrono::milliseconds::rep>(rounded)};
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 != 0)
    return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

}  // namespace hso::config
