// The watch stream decoder: bytes from the API server. Differential oracle: the same bytes fed
// whole, one byte at a time and in two pieces at every split point (16 spread split points past
// 128 bytes) give the same events and the same outcome.
#include <optional>

#include "fuzz_support.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/status_error.hpp"
#include "hso/kube/watch_decoder.hpp"

namespace {

using hso::kube::RawWatchEvent;
using hso::kube::WatchDecodeError;
using hso::kube::WatchStreamDecoder;

struct Outcome {
  std::vector<std::string> events;  // type and object, serialised
  bool failed = false;              // a WatchDecodeError
  bool partial = false;             // ends inside an event

  bool operator==(const Outcome&) const = default;
};

// A small limit, so that the "event too large" path is reached as well.
constexpr std::size_t kMaxEventBytes = 512;

Outcome decode(std::string_view stream, const std::vector<std::size_t>& cuts) {
  WatchStreamDecoder decoder(kMaxEventBytes);
  Outcome outcome;
  const auto sink = [&outcome](RawWatchEvent&& event) {
    FUZZ_CHECK(event.object.is_object());
    if (event.type == "ERROR") {
      const hso::kube::ApiError error = hso::kube::api_error_from_status(event.object);
      FUZZ_CHECK(error.code() >= 100 && error.code() <= 599);
    }
    outcome.events.push_back(event.type + "\n" + event.object.dump());
    return true;
  };
  std::size_t start = 0;
  try {
    for (std::size_t cut : cuts) {
      decoder.feed(stream.substr(start, cut - start), sink);
      start = cut;
    }
    decoder.feed(stream.substr(start), sink);
  } catch (const WatchDecodeError&) {
    outcome.failed = true;
    return outcome;
  }
  outcome.partial = decoder.has_partial_event();
  FUZZ_CHECK(outcome.partial == (decoder.buffered_bytes() > 0));
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stream = hso::fuzz::as_text(data, size);
  const Outcome whole = decode(stream, {});

  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < size; ++i)
    every_byte.push_back(i);
  FUZZ_CHECK(decode(stream, every_byte) == whole);

  // Every split point of short inputs; 16 spread over longer ones (quadratic otherwise).
  const std::size_t step = size <= 128 ? 1 : size / 16;
  for (std::size_t cut = 1; cut < size; cut += step) {
    FUZZ_CHECK(decode(stream, {cut}) == whole);
  }
  return 0;
}
