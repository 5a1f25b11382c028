#include "hso/util/object_key.hpp"

#include "hso/util/json_access.hpp"

namespace hso {

std::string object_key(std::string_view namespace_name, std::string_view name) {
  if (namespace_name.empty())
    return std::string(name);
  std::string key;
  key.reserve(namespace_name.size() + 1 + name.size());
  key.append(namespace_name).append("/").append(name);
  return key;
}

std::optional<ObjectKey> ObjectKey::parse(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == key.size() ||
      key.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return ObjectKey{std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

std::optional<ObjectKey> ObjectKey::of(const nlohmann::json& object) {
  std::string name = metadata_string(object, "name");
  if (name.empty())
    return std::nullopt;
  return ObjectKey{metadata_string(object, "namespace"), std::move(name)};
}

}  // namespace hso
