#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hso::kube {

// One decoded frame of a watch stream: {"type": "...", "object": {...}}.
// Its implicit move is noexcept (std::string and nlohmann::json move without throwing);
// bugprone-exception-escape cannot see that through json's invariant assertion.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct RawWatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR (not validated here)
  nlohmann::json object;
};

class WatchDecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Incremental decoder for a watch response body: a sequence of JSON objects, normally one per
// line. Frames are found by tracking nesting depth outside string literals, so the result does
// not depend on where the transport splits the bytes, and each byte is scanned once however large
// an object grows across chunks.
class WatchStreamDecoder {
 public:
  // Return false to stop decoding; the rest of the chunk is then left unread.
  using Sink = std::function<bool(RawWatchEvent&& event)>;

  static constexpr std::size_t kDefaultMaxEventBytes = std::size_t{256} << 20;

  explicit WatchStreamDecoder(std::size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  // Throws WatchDecodeError on bytes that cannot be a watch stream. Returns false when the sink
  // asked to stop.
  bool feed(std::string_view chunk, const Sink& sink);

  // True when the stream so far ends inside an event (the connection was cut mid-frame).
  bool has_partial_event() const { return depth_ > 0; }
  std::size_t buffered_bytes() const { return buffer_.size(); }

 private:
  RawWatchEvent parse_frame(std::string_view frame) const;

  std::size_t max_event_bytes_;
  std::string buffer_;  // bytes of the frame in progress
  std::size_t depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace hso::kube
