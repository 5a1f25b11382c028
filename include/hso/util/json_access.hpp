#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hso {

// Lenient reads of API objects: a missing key or a value of another type reads as null or "",
// so that code inspecting objects written by others never throws on their shape.
inline const nlohmann::json& json_child(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) {
    return kNull;
  }
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// A view of a string value, "" when absent or not a string; valid while `object` is.
inline std::string_view json_string_view_at(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = json_child(object, key);
  return value.is_string() ? std::string_view(value.get_ref<const std::string&>())
                           : std::string_view();
}

inline std::string json_string_at(const nlohmann::json& object, std::string_view key) {
  return std::string(json_string_view_at(object, key));
}

// An integer value, 0 when absent, not an integer, or beyond what an int holds (narrowed,
// 4294967311 would read as 15).
inline int json_int_at(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = json_child(object, key);
  if (value.is_number_unsigned()) {  // before is_number_integer, which includes it
    const auto number = value.get<std::uint64_t>();
    return number <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())
               ? static_cast<int>(number)
               : 0;
  }
  if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    return number >= std::numeric_limits<int>::min() && number <= std::numeric_limits<int>::max()
               ? static_cast<int>(number)
               : 0;
  }
  return 0;
}

// An object's metadata.<field> ("uid", "resourceVersion", "labels", "deletionTimestamp"...),
// null when absent.
inline const nlohmann::json& metadata_child(const nlohmann::json& object, std::string_view field) {
  return json_child(json_child(object, "metadata"), field);
}

// A string of an object's metadata ("name", "namespace", "uid", "resourceVersion"), "" when
// absent or not a string.
inline std::string metadata_string(const nlohmann::json& object, std::string_view field) {
  return json_string_at(json_child(object, "metadata"), field);
}

// The same without a copy, for hot paths; valid while `object` is.
inline std::string_view metadata_string_view(const nlohmann::json& object, std::string_view field) {
  return json_string_view_at(json_child(object, "metadata"), field);
}

}  // namespace hso
