#include "hso/reconciler/plan/desired_objects.hpp"

#include <algorithm>

#include "hso/reconciler/plan/ownership.hpp"
#include "hso/reconciler/plan/subdomain.hpp"
#include "hso/reconciler/plan/trigger_time.hpp"
#include "hso/util/time_format.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

json object_metadata(const std::string& namespace_name, const std::string& name, json labels,
                     json owner) {
  return {{"name", name},
          {"namespace", namespace_name},
          {"labels", std::move(labels)},
          {"ownerReferences", json::array({std::move(owner)})}};
}

json pod_target_ref(const PodInfo& pod) {
  return {{"kind", "Pod"}, {"namespace", pod.namespace_name}, {"name", pod.name}, {"uid", pod.uid}};
}

}  // namespace

const char* address_type_name(AddressFamily family) {
  return family == AddressFamily::kIPv4 ? "IPv4" : "IPv6";
}

EndpointConditions endpoint_conditions(const PodInfo& pod, bool publish_not_ready) {
  EndpointConditions conditions;
  conditions.serving = pod.ready;
  conditions.terminating = pod.terminating;
  conditions.ready = publish_not_ready || (pod.ready && !pod.terminating);
  return conditions;
}

// No blockOwnerDeletion: setting it needs the right to delete pods (RBAC), which the operator
// does not ask for; the API server would reject the owner reference with 422.
json pod_owner_reference(const PodInfo& pod) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"name", pod.name},
          {"uid", pod.uid},
          {"controller", true}};
}

json service_owner_reference(const ServiceRef& service) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"name", service.name},
          {"uid", service.uid},
          {"controller", true}};
}

json desired_service(const PodInfo& pod, const std::string& service_name,
                     const ReconcileOptions& options) {
  json spec = {{"type", "ClusterIP"}, {"clusterIP", "None"}};
  if (!effective_subdomain(pod, options).empty()) {
    spec = {{"type", "ExternalName"}, {"externalName", pod_fqdn(pod, options)}};
  } else if (options.publish_ports && !pod.named_ports.empty()) {
    spec["ports"] = service_ports(pod.named_ports);
  }
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", object_metadata(pod.namespace_name, service_name,
                                   {{std::string(kManagedByLabel), std::string(kManagedByValue)}},
                                   pod_owner_reference(pod))},
      {"spec", std::move(spec)}};
}

std::string endpoint_slice_name(const std::string& service_name, AddressFamily family) {
  return service_name + (family == AddressFamily::kIPv4 ? "-ipv4" : "-ipv6");
}

json endpoint_slice_metadata(const ServiceRef& service, const std::string& slice_name) {
  return object_metadata(service.namespace_name, slice_name,
                         {{std::string(kServiceNameLabel), service.name},
                          {std::string(kSliceManagedByLabel), std::string(kSliceManagedByValue)},
                          {std::string(kHeadlessLabel), ""}},
                         service_owner_reference(service));
}

json pod_endpoint(const PodInfo& pod, const std::string& ip, const ReconcileOptions& options) {
  const EndpointConditions conditions = endpoint_conditions(pod, options.publish_not_ready);
  json endpoint = {{"addresses", json::array({ip})},
                   {"conditions",
                    {{"ready", conditions.ready},
                     {"serving", conditions.serving},
                     {"terminating", conditions.terminating}}},
                   {"targetRef", pod_target_ref(pod)}};
  if (!pod.node_name.empty())
    endpoint["nodeName"] = pod.node_name;
  return endpoint;
}

std::vector<json> desired_endpoint_slices(const PodInfo& pod, const ServiceRef& service,
                                          const ReconcileOptions& options) {
  std::vector<json> slices;
  if (!publishes_addresses(pod))
    return slices;
  for (const AddressFamily family : {AddressFamily::kIPv4, AddressFamily::kIPv6}) {
    // At most one IP per family (status.podIPs); should there be more, the first one wins.
    const auto ip = std::find_if(pod.pod_ips.begin(), pod.pod_ips.end(),
                                 [&](const std::string& a) { return address_family(a) == family; });
    if (ip == pod.pod_ips.end())
      continue;
    json metadata = endpoint_slice_metadata(service, endpoint_slice_name(service.name, family));
    if (pod.last_change != std::chrono::sys_seconds{}) {
      metadata["annotations"] = {
          {std::string(kLastChangeTriggerTimeAnnotation), format_rfc3339(pod.last_change)}};
    }
    slices.push_back(
        {{"apiVersion", "discovery.k8s.io/v1"},
         {"kind", "EndpointSlice"},
         {"metadata", std::move(metadata)},
         {"addressType", address_type_name(family)},
         {"endpoints", json::array({pod_endpoint(pod, *ip, options)})},
         {"ports", options.publish_ports ? endpoint_slice_ports(pod.named_ports) : json::array()}});
  }
  return slices;
}

json desired_endpoints(const PodInfo& pod, const ServiceRef& service,
                       const ReconcileOptions& options) {
  json subsets = json::array();
  if (publishes_addresses(pod)) {
    json addresses = json::array();
    for (const std::string& ip : pod.pod_ips) {
      json address = {{"ip", ip}, {"targetRef", pod_target_ref(pod)}};
      if (!pod.node_name.empty())
        address["nodeName"] = pod.node_name;
      addresses.push_back(std::move(address));
    }
    const bool ready = endpoint_conditions(pod, options.publish_not_ready).ready;
    subsets.push_back({{ready ? "addresses" : "notReadyAddresses", std::move(addresses)}});
  }
  return {
      {"apiVersion", "v1"},
      {"kind", "Endpoints"},
      {"metadata", object_metadata(service.namespace_name, service.name,
                                   {{std::string(kManagedByLabel), std::string(kManagedByValue)},
                                    {std::string(kSkipMirrorLabel), "true"}},
                                   service_owner_reference(service))},
      {"subsets", std::move(subsets)}};
}

}  // namespace hso::reconciler::plan
