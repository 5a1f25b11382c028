#include "hso/reconciler/plan/keys.hpp"

#include "hso/reconciler/plan/ownership.hpp"
#include "hso/util/json_access.hpp"

namespace hso::reconciler::plan {
namespace {

std::optional<std::string> key_of(const nlohmann::json& object, const std::string& name) {
  const std::string namespace_name = metadata_string(object, "namespace");
  if (namespace_name.empty() || name.empty())
    return std::nullopt;
  return object_key(namespace_name, name);
}

}  // namespace

std::string key_for_pod(const PodInfo& pod) {
  return object_key(pod.namespace_name, effective_hostname(pod));
}

std::optional<std::string> subdomain_key_for_pod(const PodInfo& pod) {
  if (pod.spec_subdomain.empty())
    return std::nullopt;
  return object_key(pod.namespace_name, pod.spec_subdomain);
}

std::vector<std::string> keys_for_pod(const PodInfo& pod, bool subdomain_records) {
  std::vector<std::string> keys{key_for_pod(pod)};
  if (subdomain_records) {
    if (auto subdomain = subdomain_key_for_pod(pod); subdomain && *subdomain != keys.front())
      keys.push_back(std::move(*subdomain));
  }
  return keys;
}

std::optional<std::string> key_for_service(const nlohmann::json& service) {
  if (!service.is_object())
    return std::nullopt;
  return key_of(service, metadata_string(service, "name"));
}

std::optional<std::string> key_for_endpoints(const nlohmann::json& endpoints) {
  return key_for_service(endpoints);
}

std::optional<std::string> key_for_endpoint_slice(const nlohmann::json& slice) {
  if (!slice.is_object())
    return std::nullopt;
  return key_of(slice, json_string_at(metadata_child(slice, "labels"), kServiceNameLabel));
}

}  // namespace hso::reconciler::plan
