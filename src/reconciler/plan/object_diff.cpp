#include "hso/reconciler/plan/object_diff.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "hso/reconciler/plan/named_ports.hpp"
#include "hso/reconciler/plan/ownership.hpp"
#include "hso/reconciler/plan/trigger_time.hpp"
#include "hso/util/json_access.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

bool bool_at(const json& object, std::string_view key) {
  const json& value = json_child(object, key);
  return value.is_boolean() && value.get<bool>();
}

bool is_empty(const json& value) {
  return value.is_null() || ((value.is_array() || value.is_object()) && value.empty());
}

bool has_label(const json& object, std::string_view key, std::string_view value) {
  const json& label = json_child(metadata_child(object, "labels"), key);
  return label.is_string() && label.get_ref<const std::string&>() == value;
}

// Desired labels that are missing or different; other labels are not the operator's business.
json labels_patch(const json& existing, const json& desired) {
  json patch = json::object();
  const json& have = metadata_child(existing, "labels");
  for (const auto& [key, value] : metadata_child(desired, "labels").items()) {
    if (json_child(have, key) != value)
      patch[key] = value;
  }
  return patch;
}

json normalized_owner(const json& owner) {
  return {{"apiVersion", json_string_at(owner, "apiVersion")},
          {"kind", json_string_at(owner, "kind")},
          {"name", json_string_at(owner, "name")},
          {"uid", json_string_at(owner, "uid")},
          {"controller", bool_at(owner, "controller")},
          {"blockOwnerDeletion", bool_at(owner, "blockOwnerDeletion")}};
}

// The operator owns the references of one kind (Pod for Services, Service for the rest); any
// others are kept as they are. nullopt when the references already match.
std::optional<json> owners_patch(const json& existing, const json& desired,
                                 std::string_view managed_kind) {
  json kept = json::array();
  json managed = json::array();
  for (const json& owner : metadata_child(existing, "ownerReferences")) {
    (json_string_at(owner, "kind") == managed_kind ? managed : kept).push_back(owner);
  }
  const json& wanted = metadata_child(desired, "ownerReferences");
  bool same = managed.size() == wanted.size();
  for (std::size_t i = 0; same && i < wanted.size(); ++i) {
    same = normalized_owner(managed[i]) == normalized_owner(wanted[i]);
  }
  if (same)
    return std::nullopt;
  for (const json& owner : wanted)
    kept.push_back(owner);
  return kept;
}

json normalized_target_ref(const json& ref) {
  if (!ref.is_object())
    return nullptr;
  return {{"kind", json_string_at(ref, "kind")},
          {"namespace", json_string_at(ref, "namespace")},
          {"name", json_string_at(ref, "name")},
          {"uid", json_string_at(ref, "uid")}};
}

json normalized_endpoint(const json& endpoint) {
  json conditions = json::object();
  for (const char* key : {"ready", "serving", "terminating"}) {
    const json& value = json_child(json_child(endpoint, "conditions"), key);
    if (value.is_boolean())
      conditions[key] = value;
  }
  const json& addresses = json_child(endpoint, "addresses");
  return {{"addresses", addresses.is_array() ? addresses : json::array()},
          {"conditions", std::move(conditions)},
          {"hostname", json_string_at(endpoint, "hostname")},
          {"nodeName", json_string_at(endpoint, "nodeName")},
          {"targetRef", normalized_target_ref(json_child(endpoint, "targetRef"))}};
}

json normalized_endpoints_list(const json& endpoints) {
  json normalized = json::array();
  if (endpoints.is_array()) {
    for (const json& endpoint : endpoints)
      normalized.push_back(normalized_endpoint(endpoint));
  }
  return normalized;
}

// Legacy Endpoints: the server may regroup subsets, so compare the sets of ready and not-ready
// addresses, and whether any ports are listed.
json normalized_subsets(const json& subsets) {
  json ready = json::array();
  json not_ready = json::array();
  bool has_ports = false;
  const auto add = [](json& into, const json& addresses) {
    if (!addresses.is_array())
      return;
    for (const json& address : addresses) {
      into.push_back({{"ip", json_string_at(address, "ip")},
                      {"nodeName", json_string_at(address, "nodeName")},
                      {"targetRef", normalized_target_ref(json_child(address, "targetRef"))}});
    }
  };
  if (subsets.is_array()) {
    for (const json& subset : subsets) {
      add(ready, json_child(subset, "addresses"));
      add(not_ready, json_child(subset, "notReadyAddresses"));
      has_ports = has_ports || !is_empty(json_child(subset, "ports"));
    }
  }
  const auto by_ip = [](const json& a, const json& b) { return a["ip"] < b["ip"]; };
  std::sort(ready.begin(), ready.end(), by_ip);
  std::sort(not_ready.begin(), not_ready.end(), by_ip);
  return {{"ready", ready}, {"notReady", not_ready}, {"ports", has_ports}};
}

// Adds what every patch of an existing object carries: the labels and owner references, and the
// resourceVersion precondition. nullopt when `patch` stays empty.
std::optional<json> finish_patch(json patch, const json& existing, const json& desired,
                                 std::string_view owner_kind) {
  if (json labels = labels_patch(existing, desired); !labels.empty()) {
    patch["metadata"]["labels"] = std::move(labels);
  }
  if (auto owners = owners_patch(existing, desired, owner_kind)) {
    patch["metadata"]["ownerReferences"] = std::move(*owners);
  }
  if (patch.empty())
    return std::nullopt;
  const std::string resource_version = metadata_string(existing, "resourceVersion");
  if (!resource_version.empty())
    patch["metadata"]["resourceVersion"] = resource_version;
  return patch;
}

}  // namespace

bool is_owned_service(const json& service) {
  return has_label(service, kManagedByLabel, kManagedByValue);
}

bool is_owned_endpoint_slice(const json& slice) {
  return has_label(slice, kSliceManagedByLabel, kSliceManagedByValue);
}

bool is_owned_endpoints(const json& endpoints) {
  return has_label(endpoints, kManagedByLabel, kManagedByValue);
}

bool service_needs_recreation(const json& existing) {
  return json_string_at(json_child(existing, "spec"), "clusterIP") != "None";
}

bool service_needs_recreation(const json& existing, const json& desired) {
  const bool external = json_string_at(json_child(desired, "spec"), "type") == "ExternalName";
  if (external)
    return json_string_at(json_child(existing, "spec"), "type") != "ExternalName";
  return service_needs_recreation(existing);
}

bool same_endpoint(const json& a, const json& b) {
  return normalized_endpoint(a) == normalized_endpoint(b);
}

std::optional<json> service_patch(const json& existing, const json& desired) {
  json spec = json::object();
  const json& have = json_child(existing, "spec");
  const json& want = json_child(desired, "spec");
  std::string type = json_string_at(have, "type");
  if (type.empty())
    type = "ClusterIP";
  if (type != json_string_at(want, "type"))
    spec["type"] = want["type"];
  if (!is_empty(json_child(have, "selector")))
    spec["selector"] = nullptr;
  if (const std::string target = json_string_at(want, "externalName");
      target != json_string_at(have, "externalName")) {
    spec["externalName"] = target.empty() ? json(nullptr) : json(target);
  }
  if (const json& ports = json_child(want, "ports");
      !same_service_ports(json_child(have, "ports"), ports)) {
    spec["ports"] = is_empty(ports) ? json(nullptr) : ports;
  }
  json patch = json::object();
  if (!spec.empty())
    patch["spec"] = std::move(spec);
  return finish_patch(std::move(patch), existing, desired, "Pod");
}

std::optional<json> endpoint_slice_patch(const json& existing, const json& desired) {
  json patch = json::object();
  if (normalized_endpoints_list(json_child(existing, "endpoints")) !=
      normalized_endpoints_list(json_child(desired, "endpoints"))) {
    patch["endpoints"] = json_child(desired, "endpoints");
  }
  if (const json& ports = json_child(desired, "ports");
      !same_endpoint_slice_ports(json_child(existing, "ports"), ports)) {
    patch["ports"] = ports.is_array() ? ports : json::array();
  }
  auto finished = finish_patch(std::move(patch), existing, desired, "Service");
  // Only a slice that is written anyway gets the pod's trigger time.
  if (finished)
    carry_trigger_time(*finished, existing, desired);
  return finished;
}

std::optional<json> endpoints_patch(const json& existing, const json& desired) {
  json patch = json::object();
  if (normalized_subsets(json_child(existing, "subsets")) !=
      normalized_subsets(json_child(desired, "subsets"))) {
    patch["subsets"] = json_child(desired, "subsets");
  }
  return finish_patch(std::move(patch), existing, desired, "Service");
}

}  // namespace hso::reconciler::plan
