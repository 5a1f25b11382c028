#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// Shared by the libFuzzer harnesses: each defines LLVMFuzzerTestOneInput and checks properties of
// what the unit under test returns; a violated property aborts, and libFuzzer keeps the input.
namespace hso::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at every `separator`; the separators are not kept.
inline std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos)
      return parts;
    text.remove_prefix(at + separator.size());
  }
}

[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, what);
  std::abort();
}

}  // namespace hso::fuzz

#define FUZZ_CHECK(condition)                                       \
  do {                                                              \
    if (!(condition))                                               \
      ::hso::fuzz::property_failed(#condition, __FILE__, __LINE__); \
  } while (false)
