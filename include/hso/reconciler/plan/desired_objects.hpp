#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hso/reconciler/plan/options.hpp"
#include "hso/reconciler/plan/pod_info.hpp"

// The objects a pod should have, computed from the pod and the configuration alone (no I/O).
// Bodies are ready to POST; only the fields the operator manages are set.
namespace hso::reconciler::plan {

// The Service the dependents point at (its uid is known only once it exists).
struct ServiceRef {
  std::string namespace_name;
  std::string name;
  std::string uid;
};

struct EndpointConditions {
  bool ready = false;
  bool serving = false;
  bool terminating = false;

  friend bool operator==(const EndpointConditions&, const EndpointConditions&) = default;
};

// EndpointSlice conventions: serving follows the pod's Ready condition, terminating follows
// deletion, and ready is serving and not terminating unless not-ready addresses are published.
EndpointConditions endpoint_conditions(const PodInfo& pod, bool publish_not_ready);

nlohmann::json pod_owner_reference(const PodInfo& pod);
nlohmann::json service_owner_reference(const ServiceRef& service);

// Headless (clusterIP None), no selector, the pod's named ports, owned by the pod. A pod whose
// records live in its subdomain's Service (effective_subdomain, subdomain.hpp) gets an
// ExternalName alias of its FQDN instead: it holds no address, so the pod's IP keeps exactly one
// PTR record, the FQDN's.
nlohmann::json desired_service(const PodInfo& pod, const std::string& service_name,
                               const ReconcileOptions& options);

// "<service>-ipv4" / "<service>-ipv6".
std::string endpoint_slice_name(const std::string& service_name, AddressFamily family);

// "IPv4" / "IPv6", as EndpointSlice.addressType spells them.
const char* address_type_name(AddressFamily family);

// The metadata of an operator's slice of `service`: its labels and the Service as its owner.
nlohmann::json endpoint_slice_metadata(const ServiceRef& service, const std::string& slice_name);

// One endpoint: the address, the conditions, the pod as targetRef, its node.
nlohmann::json pod_endpoint(const PodInfo& pod, const std::string& ip,
                            const ReconcileOptions& options);

// One slice per address family in the pod's IPs; none when the pod publishes no address.
std::vector<nlohmann::json> desired_endpoint_slices(const PodInfo& pod, const ServiceRef& service,
                                                    const ReconcileOptions& options);

// core/v1 Endpoints with the pod's addresses (empty subsets when it publishes none).
nlohmann::json desired_endpoints(const PodInfo& pod, const ServiceRef& service,
                                 const ReconcileOptions& options);

}  // namespace hso::reconciler::plan
