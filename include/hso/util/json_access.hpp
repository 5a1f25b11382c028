#pragma once

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

inline std::string json_string_at(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = json_child(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

}  // namespace hso
