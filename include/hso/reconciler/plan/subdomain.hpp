#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/desired_objects.hpp"
#include "hso/reconciler/plan/options.hpp"
#include "hso/reconciler/plan/pod_info.hpp"

// Subdomain records: an annotated pod with spec.subdomain S gets its FQDN
// <hostname>.S.<namespace>.svc.<zone>, forward and reverse, through one headless Service S shared
// by every such pod (its members) and EndpointSlices that name each member's hostname. Decided
// without I/O, like the rest of reconciler/plan/.
namespace hso::reconciler::plan {

// The EndpointSlice controller's default (--max-endpoints-per-slice).
inline constexpr std::size_t kMaxEndpointsPerSlice = 100;

// The subdomain whose Service publishes the pod's records: spec.subdomain when subdomain records
// are on and it can be a Service name; empty otherwise (the pod then has records of its own).
std::string effective_subdomain(const PodInfo& pod, const ReconcileOptions& options);

// With subdomain_hostname_aliases off, a member asking for a Service whose hostname its
// subdomain's slices can name needs no Service of its own: its FQDN resolves through the
// subdomain's Service alone, its bare hostname not at all. Whether that Service is the operator's
// is not known here (pods_wanting_own_service).
bool records_in_subdomain_only(const PodInfo& pod, const ReconcileOptions& options);

// The pods that compete for their hostname's own Service: `pods` without the members for which
// records_in_subdomain_only holds and whose subdomain `is_served` says the operator serves (a
// member whose subdomain's Service is someone else's has no other record, and keeps its own).
PodList pods_wanting_own_service(const PodList& pods, const ReconcileOptions& options,
                                 const std::function<bool(const std::string&)>& is_served);

// How many of `members` subdomain `name`'s Service serves alone (records_in_subdomain_only): they
// count as managed through the subdomain's key, having no key of their own.
std::size_t members_without_own_service(std::string_view name, const PodList& members,
                                        const ReconcileOptions& options);

// "<hostname>.<subdomain>.<namespace>.svc.<cluster domain>", what the kubelet gives the pod as
// its FQDN; empty without an effective subdomain.
std::string pod_fqdn(const PodInfo& pod, const ReconcileOptions& options);

// The operator's Service with no Pod among its owners: a subdomain's (a per-pod Service is always
// owned by its pod).
bool is_subdomain_service(const nlohmann::json& service);

// Whether the key "<namespace>/<name>" is a subdomain's: one of `members` (the pods whose
// spec.subdomain is `name`) asks for a Service, or the operator's subdomain Service is still
// there to be removed.
bool is_subdomain_key(std::string_view name, const PodList& members, const nlohmann::json* existing,
                      const ReconcileOptions& options);

// Headless, selector-less, portless (CoreDNS builds a headless Service's SRV records from its
// slices' ports, which differ between members), the operator's label, no owner: it has many
// members, and the operator deletes it when the last one goes.
nlohmann::json desired_subdomain_service(std::string_view namespace_name, std::string_view name);

// The Service of subdomain `name`. The winner of the plan's candidates is the member that Events
// about the Service go to (null when the operator serves no member: none left, or a foreign
// Service holds the name). Pods in `claimants` (those whose effective hostname is `name`) that
// ask for a Service and are not members are skipped as collisions: the name is the subdomain's.
ServicePlan plan_subdomain_service(std::string_view namespace_name, std::string_view name,
                                   const PodList& members, const PodList& claimants,
                                   const nlohmann::json* existing, const ReconcileOptions& options);

// The writes that bring the operator's slices of subdomain Service `service` in line with the
// `members` that ask for a Service (none: every slice of the operator's goes). Packing: a member
// stays in the slice that holds it with the right shape (address type and named-port set), so a
// changed pod rewrites only its slice; a new member goes to the emptiest slice of its shape with
// room, and a slice is opened ("<service>-ipv4-<n>", the lowest free n) only when all of its
// shape are full. Slices left empty are deleted. A written slice carries the latest last_change of
// the members whose endpoint it changed. Owned Endpoints of the name are deleted (a subdomain has
// no legacy Endpoints). Deletes first, then updates, then creates.
std::vector<ObjectWrite> plan_subdomain_slices(const PodList& members, const ServiceRef& service,
                                               const ObjectList& existing_slices,
                                               const nlohmann::json* existing_endpoints,
                                               const ReconcileOptions& options,
                                               std::size_t max_endpoints = kMaxEndpointsPerSlice);

}  // namespace hso::reconciler::plan
