#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hso/reconciler/plan/pod_info.hpp"
#include "hso/util/object_key.hpp"

// Work is keyed by the Service it produces: "<namespace>/<service name>".
namespace hso::reconciler::plan {

// A key names the Service (ObjectKey::parse reads one back).
using ServiceKey = ObjectKey;

// A pod maps to "<namespace>/<effective hostname>", whether or not it carries the annotation (a
// removed annotation must still reach the reconciler). spec.hostname and the name are immutable,
// so a pod's key never changes.
std::string key_for_pod(const PodInfo& pod);

// "<namespace>/<spec.subdomain>" when the pod sets one; nullopt otherwise. spec.subdomain is
// immutable too.
std::optional<std::string> subdomain_key_for_pod(const PodInfo& pod);

// Every key a pod's change must reach: key_for_pod, and with subdomain records on the key of its
// subdomain's Service (subdomain.hpp) too. At most two.
std::vector<std::string> keys_for_pod(const PodInfo& pod, bool subdomain_records);

// Service and Endpoints: their own name. EndpointSlice: its kubernetes.io/service-name label.
// nullopt when the object carries neither.
std::optional<std::string> key_for_service(const nlohmann::json& service);
std::optional<std::string> key_for_endpoint_slice(const nlohmann::json& slice);
std::optional<std::string> key_for_endpoints(const nlohmann::json& endpoints);

// Index values for PodSource implementations: pods grouped by key_for_pod, and pods grouped by
// subdomain_key_for_pod.
inline constexpr std::string_view kPodsByServiceKeyIndex = "service-key";
inline constexpr std::string_view kPodsBySubdomainIndex = "subdomain-key";

}  // namespace hso::reconciler::plan
