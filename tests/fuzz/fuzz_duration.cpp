// Go-style durations, as given in flags and environment variables.
#include <chrono>

#include "fuzz_support.hpp"
#include "hso/config/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = hso::fuzz::as_text(data, size);
  auto error = static_cast<hso::config::DurationError>(-1);
  const auto parsed = hso::config::parse_duration(text, &error);
  if (!parsed) {
    FUZZ_CHECK(error == hso::config::DurationError::kMalformed ||
               error == hso::config::DurationError::kOutOfRange);
    return 0;
  }
  FUZZ_CHECK(parsed->count() >= 0 && *parsed <= hso::config::kMaxDuration);
  // What --help shows as a default parses back to the same value.
  FUZZ_CHECK(hso::config::parse_duration(hso::config::format_duration(*parsed)) == parsed);
  // The uses of a configured duration: nanoseconds with 20 % jitter, added to a clock's now().
  const std::chrono::nanoseconds nanoseconds = *parsed;
  const auto deadline = std::chrono::steady_clock::now() + nanoseconds + nanoseconds / 5;
  FUZZ_CHECK(deadline.time_since_epoch().count() >= 0);
  return 0;
}
