#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace hso {

// "<namespace>/<name>", or the bare name of a cluster-scoped object (empty namespace): the key of
// an object in the caches and of a unit of work in the queue.
std::string object_key(std::string_view namespace_name, std::string_view name);

// An object's identity within its kind.
struct ObjectKey {
  std::string namespace_name;
  std::string name;

  std::string str() const { return object_key(namespace_name, name); }
  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;

  // A namespaced key: exactly one '/', with text on both sides. nullopt otherwise.
  static std::optional<ObjectKey> parse(std::string_view key);
  // From the object's metadata; nullopt when it has no name. The namespace may be empty.
  static std::optional<ObjectKey> of(const nlohmann::json& object);
};

}  // namespace hso
