#include "hso/reconciler/plan/subdomain.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "hso/reconciler/plan/named_ports.hpp"
#include "hso/reconciler/plan/object_diff.hpp"
#include "hso/reconciler/plan/ownership.hpp"
#include "hso/reconciler/plan/trigger_time.hpp"
#include "hso/util/json_access.hpp"
#include "hso/util/k8s_names.hpp"
#include "hso/util/time_format.hpp"

namespace hso::reconciler::plan {
namespace {

using metrics::ObjectKind;
using metrics::WriteAction;
using nlohmann::json;

constexpr std::size_t kNoShape = static_cast<std::size_t>(-1);

bool is_being_deleted(const json& object) {
  return !metadata_child(object, "deletionTimestamp").is_null();
}

bool is_member(const PodInfo& pod, std::string_view name, const ReconcileOptions& options) {
  return pod.wants_service && effective_subdomain(pod, options) == name;
}

// The members that ask for a Service, in precedence order (takes_precedence).
PodList asking_members(std::string_view name, const PodList& members,
                       const ReconcileOptions& options) {
  PodList asking;
  for (const auto& pod : members) {
    if (pod != nullptr && is_member(*pod, name, options))
      asking.push_back(pod);
  }
  std::sort(asking.begin(), asking.end(),
            [](const auto& a, const auto& b) { return takes_precedence(*a, *b); });
  return asking;
}

// What every endpoint of one slice shares.
struct Shape {
  AddressFamily family;
  json ports;
};

// One endpoint to place: a member's address of one family.
struct Placement {
  const PodInfo* pod;
  std::size_t shape;
  json endpoint;
};

struct SliceState {
  const json* existing = nullptr;  // null: a slice to create
  std::string name;
  std::size_t shape = kNoShape;     // kNoShape: no member has the existing slice's shape
  std::vector<std::size_t> placed;  // indices of placements, in the slice's order
  // The latest last_change of the members whose endpoint this write changes.
  std::chrono::sys_seconds trigger{};
};

// Packs the members' endpoints into slices: the existing ones first, where each member already
// is, then the new members into the emptiest slice of their shape with room.
class SlicePacker {
 public:
  SlicePacker(const ServiceRef& service, const ReconcileOptions& options, std::size_t max_endpoints)
      : service_(service),
        options_(options),
        max_endpoints_(std::max<std::size_t>(max_endpoints, 1)) {}

  void add_member(const PodInfo& pod);
  void keep_existing(const std::vector<const json*>& owned);
  void place_new(const std::set<std::string>& taken_names);
  void writes(std::vector<ObjectWrite>& deletes, std::vector<ObjectWrite>& updates,
              std::vector<ObjectWrite>& creates) const;

 private:
  std::size_t shape_of(AddressFamily family, const json& ports);
  std::size_t existing_shape(const json& slice) const;
  void place(SliceState& slice, std::size_t placement);
  std::string free_name(AddressFamily family, const std::set<std::string>& taken) const;
  json desired_slice(const SliceState& slice) const;

  const ServiceRef& service_;
  const ReconcileOptions& options_;
  const std::size_t max_endpoints_;
  std::vector<Shape> shapes_;
  std::vector<Placement> placements_;
  std::vector<bool> placed_;
  std::map<std::pair<std::string, std::size_t>, std::size_t> by_pod_and_shape_;
  std::vector<SliceState> slices_;
};

std::size_t SlicePacker::shape_of(AddressFamily family, const json& ports) {
  for (std::size_t i = 0; i < shapes_.size(); ++i) {
    if (shapes_[i].family == family && shapes_[i].ports == ports)
      return i;
  }
  shapes_.push_back({family, ports});
  return shapes_.size() - 1;
}

std::size_t SlicePacker::existing_shape(const json& slice) const {
  const std::string address_type = json_string_at(slice, "addressType");
  for (std::size_t i = 0; i < shapes_.size(); ++i) {
    if (address_type_name(shapes_[i].family) == address_type &&
        same_endpoint_slice_ports(json_child(slice, "ports"), shapes_[i].ports)) {
      return i;
    }
  }
  return kNoShape;
}

// A member without an address publishes nothing; one whose hostname is no DNS label cannot be
// named in a slice (the API server would refuse the whole slice).
void SlicePacker::add_member(const PodInfo& pod) {
  const std::string hostname = effective_hostname(pod);
  if (!publishes_addresses(pod) || !is_dns1123_label(hostname))
    return;
  const json ports = options_.publish_ports ? endpoint_slice_ports(pod.named_ports) : json::array();
  for (const AddressFamily family : {AddressFamily::kIPv4, AddressFamily::kIPv6}) {
    const auto ip = std::find_if(pod.pod_ips.begin(), pod.pod_ips.end(),
                                 [&](const std::string& a) { return address_family(a) == family; });
    if (ip == pod.pod_ips.end())
      continue;
    json endpoint = pod_endpoint(pod, *ip, options_);
    endpoint["hostname"] = hostname;
    const std::size_t shape = shape_of(family, ports);
    if (!by_pod_and_shape_.emplace(std::pair{pod.uid, shape}, placements_.size()).second)
      continue;  // the same pod twice
    placements_.push_back({&pod, shape, std::move(endpoint)});
    placed_.push_back(false);
  }
}

void SlicePacker::place(SliceState& slice, std::size_t placement) {
  placed_[placement] = true;
  slice.placed.push_back(placement);
}

// Each member stays where it is, if that slice has its shape; the first slice (by name) that
// holds it wins, so a duplicate is dropped from the others.
void SlicePacker::keep_existing(const std::vector<const json*>& owned) {
  for (const json* slice : owned) {
    SliceState state{slice, metadata_string(*slice, "name"), existing_shape(*slice), {}, {}};
    const json& endpoints = json_child(*slice, "endpoints");
    if (state.shape != kNoShape && endpoints.is_array()) {
      for (const json& endpoint : endpoints) {
        const std::string uid = json_string_at(json_child(endpoint, "targetRef"), "uid");
        const auto found = by_pod_and_shape_.find({uid, state.shape});
        if (found == by_pod_and_shape_.end() || placed_[found->second])
          continue;
        const Placement& member = placements_[found->second];
        place(state, found->second);
        if (!same_endpoint(endpoint, member.endpoint))
          state.trigger = std::max(state.trigger, member.pod->last_change);
      }
    }
    slices_.push_back(std::move(state));
  }
}

std::string SlicePacker::free_name(AddressFamily family, const std::set<std::string>& taken) const {
  const std::string prefix = service_.name + (family == AddressFamily::kIPv4 ? "-ipv4-" : "-ipv6-");
  for (std::size_t n = 0;; ++n) {
    std::string name = prefix + std::to_string(n);
    const bool used = taken.contains(name) ||
                      std::any_of(slices_.begin(), slices_.end(),
                                  [&](const SliceState& slice) { return slice.name == name; });
    if (!used)
      return name;
  }
}

void SlicePacker::place_new(const std::set<std::string>& taken_names) {
  for (std::size_t i = 0; i < placements_.size(); ++i) {
    if (placed_[i])
      continue;
    const std::size_t shape = placements_[i].shape;
    SliceState* target = nullptr;
    for (SliceState& slice : slices_) {
      if (slice.shape != shape || slice.placed.size() >= max_endpoints_)
        continue;
      if (target == nullptr || slice.placed.size() < target->placed.size())
        target = &slice;
    }
    if (target == nullptr) {
      std::string name = free_name(shapes_[shape].family, taken_names);
      slices_.push_back({nullptr, std::move(name), shape, {}, {}});
      target = &slices_.back();
    }
    place(*target, i);
    target->trigger = std::max(target->trigger, placements_[i].pod->last_change);
  }
}

json SlicePacker::desired_slice(const SliceState& slice) const {
  json metadata = endpoint_slice_metadata(service_, slice.name);
  if (slice.trigger != std::chrono::sys_seconds{}) {
    metadata["annotations"] = {
        {std::string(kLastChangeTriggerTimeAnnotation), format_rfc3339(slice.trigger)}};
  }
  json endpoints = json::array();
  for (const std::size_t i : slice.placed)
    endpoints.push_back(placements_[i].endpoint);
  const Shape& shape = shapes_[slice.shape];
  return {{"apiVersion", "discovery.k8s.io/v1"}, {"kind", "EndpointSlice"},
          {"metadata", std::move(metadata)},     {"addressType", address_type_name(shape.family)},
          {"endpoints", std::move(endpoints)},   {"ports", shape.ports}};
}

// A slice written for no member's change (one left, or a repair) drops the trigger time it
// carries: CoreDNS would report that old change again, as latency.
void drop_stale_trigger_time(json& patch, const json& existing, const json& desired) {
  const json& have =
      json_child(metadata_child(existing, "annotations"), kLastChangeTriggerTimeAnnotation);
  const json& want =
      json_child(metadata_child(desired, "annotations"), kLastChangeTriggerTimeAnnotation);
  if (!have.is_null() && want.is_null())
    patch["metadata"]["annotations"][std::string(kLastChangeTriggerTimeAnnotation)] = nullptr;
}

void SlicePacker::writes(std::vector<ObjectWrite>& deletes, std::vector<ObjectWrite>& updates,
                         std::vector<ObjectWrite>& creates) const {
  for (const SliceState& slice : slices_) {
    if (slice.existing == nullptr) {
      creates.push_back(
          {ObjectKind::kEndpointSlice, WriteAction::kCreate, slice.name, desired_slice(slice), ""});
    } else if (slice.placed.empty()) {
      deletes.push_back({ObjectKind::kEndpointSlice, WriteAction::kDelete, slice.name, nullptr,
                         metadata_string(*slice.existing, "uid")});
    } else {
      const json desired = desired_slice(slice);
      if (auto patch = endpoint_slice_patch(*slice.existing, desired)) {
        drop_stale_trigger_time(*patch, *slice.existing, desired);
        updates.push_back(
            {ObjectKind::kEndpointSlice, WriteAction::kUpdate, slice.name, std::move(*patch), ""});
      }
    }
  }
}

void report_collisions(ServicePlan& plan, std::string_view name, const PodList& claimants,
                       const ReconcileOptions& options) {
  if (plan.candidates.winner == nullptr)
    return;
  for (const auto& pod : claimants) {
    if (pod == nullptr || !pod->wants_service || is_member(*pod, name, options))
      continue;
    plan.candidates.skipped.push_back(
        {pod, metrics::SkipReason::kCollision, std::string(kReasonHostnameCollision),
         "hostname \"" + std::string(name) + "\" is the subdomain of pod " +
             plan.candidates.winner->name +
             " and others, whose Service has that name; this pod gets no Service of its own"});
  }
}

// Someone else's Service holds the subdomain's name: every member is told, nothing is written.
void leave_subdomain_to_its_owner(ServicePlan& plan, std::string_view name, const PodList& asking) {
  for (const auto& pod : asking) {
    plan.candidates.skipped.push_back(
        {pod, metrics::SkipReason::kForeignService, std::string(kReasonServiceConflict),
         "Service \"" + std::string(name) + "\" (the pod's subdomain) already exists and is not " +
             "managed by " + std::string(kOperatorName) +
             "; it is left as it is, the operator publishes no subdomain records for the pod, and "
             "the " +
             "pod keeps a headless Service of its own"});
  }
  plan.candidates.winner = nullptr;
  plan.action = ServicePlan::Action::kLeaveForeign;
}

void plan_owned_subdomain_service(ServicePlan& plan, const json& existing, const json& desired) {
  using Action = ServicePlan::Action;
  if (plan.candidates.winner == nullptr) {
    plan.action = is_being_deleted(existing) ? Action::kNothing : Action::kDelete;
  } else if (is_being_deleted(existing)) {
    plan.action = Action::kWaitForDeletion;
  } else if (service_needs_recreation(existing, desired)) {
    plan.action = Action::kRecreate;
  } else if (auto patch = service_patch(existing, desired)) {
    plan.action = Action::kPatch;
    plan.body = std::move(*patch);
  }
}

}  // namespace

std::string effective_subdomain(const PodInfo& pod, const ReconcileOptions& options) {
  if (!options.subdomain_records || pod.spec_subdomain.empty() ||
      !is_valid_service_name(pod.spec_subdomain, options)) {
    return {};
  }
  return pod.spec_subdomain;
}

std::string pod_fqdn(const PodInfo& pod, const ReconcileOptions& options) {
  const std::string subdomain = effective_subdomain(pod, options);
  if (subdomain.empty())
    return {};
  return effective_hostname(pod) + "." + subdomain + "." + pod.namespace_name + ".svc." +
         options.cluster_domain;
}

bool records_in_subdomain_only(const PodInfo& pod, const ReconcileOptions& options) {
  return !options.subdomain_hostname_aliases && pod.wants_service &&
         !effective_subdomain(pod, options).empty() && is_dns1123_label(effective_hostname(pod));
}

PodList pods_wanting_own_service(const PodList& pods, const ReconcileOptions& options,
                                 const std::function<bool(const std::string&)>& is_served) {
  PodList wanting;
  wanting.reserve(pods.size());
  for (const auto& pod : pods) {
    if (pod != nullptr && records_in_subdomain_only(*pod, options) &&
        is_served(effective_subdomain(*pod, options))) {
      continue;
    }
    wanting.push_back(pod);
  }
  return wanting;
}

std::size_t members_without_own_service(std::string_view name, const PodList& members,
                                        const ReconcileOptions& options) {
  return static_cast<std::size_t>(
      std::count_if(members.begin(), members.end(), [&](const auto& pod) {
        return pod != nullptr && is_member(*pod, name, options) &&
               records_in_subdomain_only(*pod, options);
      }));
}

bool is_subdomain_service(const json& service) {
  if (!is_owned_service(service))
    return false;
  const json& owners = metadata_child(service, "ownerReferences");
  return !owners.is_array() || std::none_of(owners.begin(), owners.end(), [](const json& owner) {
    return json_string_at(owner, "kind") == "Pod";
  });
}

bool is_subdomain_key(std::string_view name, const PodList& members, const json* existing,
                      const ReconcileOptions& options) {
  if (!options.subdomain_records)
    return false;
  for (const auto& pod : members) {
    if (pod != nullptr && is_member(*pod, name, options))
      return true;
  }
  return existing != nullptr && is_subdomain_service(*existing);
}

json desired_subdomain_service(std::string_view namespace_name, std::string_view name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name},
            {"namespace", namespace_name},
            {"labels", {{std::string(kManagedByLabel), std::string(kManagedByValue)}}}}},
          {"spec", {{"type", "ClusterIP"}, {"clusterIP", "None"}}}};
}

ServicePlan plan_subdomain_service(std::string_view namespace_name, std::string_view name,
                                   const PodList& members, const PodList& claimants,
                                   const json* existing, const ReconcileOptions& options) {
  ServicePlan plan;
  const PodList asking = asking_members(name, members, options);
  if (!asking.empty())
    plan.candidates.winner = asking.front();
  report_collisions(plan, name, claimants, options);
  // Never adoptable: the original operator made no Service for a subdomain.
  plan.existing = classify_service(existing, nullptr, options);
  if (existing != nullptr)
    plan.existing_uid = metadata_string(*existing, "uid");
  const json desired = desired_subdomain_service(namespace_name, name);
  switch (plan.existing) {
    case ExistingService::kAbsent:
      // Members on their way out get no new Service, as a per-pod name does not.
      if (plan.candidates.winner != nullptr && plan.candidates.winner->terminating)
        plan.candidates.winner = nullptr;
      if (plan.candidates.winner != nullptr) {
        plan.action = ServicePlan::Action::kCreate;
        plan.body = desired;
      }
      break;
    case ExistingService::kOwned:
      plan_owned_subdomain_service(plan, *existing, desired);
      break;
    case ExistingService::kAdoptable:
    case ExistingService::kForeign:
      if (plan.candidates.winner != nullptr)
        leave_subdomain_to_its_owner(plan, name, asking);
      break;
  }
  return plan;
}

std::vector<ObjectWrite> plan_subdomain_slices(const PodList& members, const ServiceRef& service,
                                               const ObjectList& existing_slices,
                                               const json* existing_endpoints,
                                               const ReconcileOptions& options,
                                               std::size_t max_endpoints) {
  const PodList asking = asking_members(service.name, members, options);
  SlicePacker packer(service, options, max_endpoints);
  for (const auto& pod : asking)
    packer.add_member(*pod);
  std::set<std::string> taken;
  for (const auto& slice : existing_slices) {
    if (slice != nullptr)
      taken.insert(metadata_string(*slice, "name"));
  }
  packer.keep_existing(owned_slices(existing_slices, service.name));
  packer.place_new(taken);
  std::vector<ObjectWrite> writes, updates, creates;
  packer.writes(writes, updates, creates);
  if (existing_endpoints != nullptr && !is_being_deleted(*existing_endpoints) &&
      is_owned_endpoints(*existing_endpoints)) {
    writes.push_back({ObjectKind::kEndpoints, WriteAction::kDelete, service.name, nullptr,
                      metadata_string(*existing_endpoints, "uid")});
  }
  for (auto* list : {&updates, &creates})
    std::move(list->begin(), list->end(), std::back_inserter(writes));
  return writes;
}

}  // namespace hso::reconciler::plan
