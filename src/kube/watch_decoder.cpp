#include "hso/kube/watch_decoder.hpp"

#include <string>

namespace hso::kube {
namespace {

bool is_json_whitespace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

}  // namespace

bool WatchStreamDecoder::feed(std::string_view chunk, const Sink& sink) {
  std::size_t frame_start = 0;  // in `chunk`, of the part of the current frame not yet buffered
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    const char c = chunk[i];
    if (depth_ == 0) {
      if (is_json_whitespace(c))
        continue;
      if (c != '{') {
        throw WatchDecodeError("watch stream: unexpected byte outside an event");
      }
      depth_ = 1;
      frame_start = i;
      continue;
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string_ = true;
        break;
      case '{':
      case '[':
        ++depth_;
        break;
      case '}':
      case ']':
        if (--depth_ == 0) {
          const std::string_view tail = chunk.substr(frame_start, i + 1 - frame_start);
          RawWatchEvent event;
          if (buffer_.empty()) {
            event = parse_frame(tail);
          } else {
            buffer_.append(tail);
            event = parse_frame(buffer_);
            buffer_.clear();
          }
          if (!sink(std::move(event)))
            return false;
        }
        break;
      default:
        break;
    }
  }
  if (depth_ > 0) {
    buffer_.append(chunk.substr(frame_start));
    if (buffer_.size() > max_event_bytes_) {
      throw WatchDecodeError("watch stream: event larger than " + std::to_string(max_event_bytes_) +
                             " bytes");
    }
  }
  return true;
}

RawWatchEvent WatchStreamDecoder::parse_frame(std::string_view frame) const {
  if (frame.size() > max_event_bytes_) {
    throw WatchDecodeError("watch stream: event larger than " + std::to_string(max_event_bytes_) +
                           " bytes");
  }
  nlohmann::json frame_json = nlohmann::json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (frame_json.is_discarded() || !frame_json.is_object()) {
    throw WatchDecodeError("watch stream: event is not valid JSON");
  }
  // Through the underlying map: moving out of a json iterator trips GCC 12's -Wnull-dereference
  // at -O3.
  auto& fields = frame_json.get_ref<nlohmann::json::object_t&>();
  const auto type = fields.find("type");
  const auto object = fields.find("object");
  if (type == fields.end() || !type->second.is_string()) {
    throw WatchDecodeError("watch stream: event without a type");
  }
  if (object == fields.end() || !object->second.is_object()) {
    throw WatchDecodeError("watch stream: event without an object");
  }
  RawWatchEvent event;
  event.type = std::move(type->second.get_ref<std::string&>());
  event.object = std::move(object->second);
  return event;
}

}  // namespace hso::kube
