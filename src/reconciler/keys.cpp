#include "hso/reconciler/keys.hpp"

#include "hso/reconciler/ownership.hpp"
#include "hso/util/json_access.hpp"

namespace hso::reconciler {
namespace {

std::optional<std::string> key_of(const nlohmann::json& object, const std::string& name) {
  const std::string namespace_name = json_string_at(json_child(object, "metadata"), "namespace");
  if (namespace_name.empty() || name.empty())
    return std::nullopt;
  return namespace_name + "/" + name;
}

std::string name_of(const nlohmann::json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object())
    return {};
  const auto name = metadata->find("name");
  return name != metadata->end() && name->is_string() ? name->get<std::string>() : std::string();
}

}  // namespace

std::optional<ServiceKey> parse_key(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == key.size() ||
      key.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return ServiceKey{std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

std::string key_for_pod(const PodInfo& pod) {
  return pod.namespace_name + "/" + effective_hostname(pod);
}

std::optional<std::string> key_for_service(const nlohmann::json& service) {
  if (!service.is_object())
    return std::nullopt;
  return key_of(service, name_of(service));
}

std::optional<std::string> key_for_endpoints(const nlohmann::json& endpoints) {
  return key_for_service(endpoints);
}

std::optional<std::string> key_for_endpoint_slice(const nlohmann::json& slice) {
  if (!slice.is_object())
    return std::nullopt;
  const auto metadata = slice.find("metadata");
  if (metadata == slice.end() || !metadata->is_object())
    return std::nullopt;
  const auto labels = metadata->find("labels");
  if (labels == metadata->end() || !labels->is_object())
    return std::nullopt;
  const auto service = labels->find(std::string(kServiceNameLabel));
  if (service == labels->end() || !service->is_string())
    return std::nullopt;
  return key_of(slice, service->get<std::string>());
}

}  // namespace hso::reconciler
