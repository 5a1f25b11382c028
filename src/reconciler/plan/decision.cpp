#include "hso/reconciler/plan/decision.hpp"

#include <algorithm>
#include <iterator>

#include "hso/reconciler/plan/object_diff.hpp"
#include "hso/reconciler/plan/ownership.hpp"
#include "hso/reconciler/plan/subdomain.hpp"
#include "hso/util/json_access.hpp"
#include "hso/util/k8s_names.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

bool is_active(const PodInfo& pod) {
  return !pod.terminating && pod.phase != PodPhase::kSucceeded && pod.phase != PodPhase::kFailed;
}

bool is_being_deleted(const json& object) {
  return !metadata_child(object, "deletionTimestamp").is_null();
}

// The original operator's Services carry no controller reference, or one to a pod.
bool controlled_by_nothing_but_a_pod(const json& service) {
  for (const json& owner : metadata_child(service, "ownerReferences")) {
    if (json_child(owner, "controller") == true && json_string_at(owner, "kind") != "Pod")
      return false;
  }
  return true;
}

bool is_empty(const json& value) {
  return value.is_null() || ((value.is_array() || value.is_object()) && value.empty());
}

// A Service of someone else's holds the name: the winner is reported, and nothing is written.
void leave_to_its_owner(ServicePlan& plan, std::string_view service_name) {
  plan.candidates.skipped.insert(
      plan.candidates.skipped.begin(),
      {plan.candidates.winner, metrics::SkipReason::kForeignService,
       std::string(kReasonServiceConflict),
       "Service \"" + std::string(service_name) + "\" already exists and is not managed by " +
           std::string(kOperatorName) + "; it is left as it is"});
  plan.candidates.winner = nullptr;
  plan.action = ServicePlan::Action::kLeaveForeign;
}

}  // namespace

std::vector<const json*> owned_slices(const ObjectList& slices, const std::string& service_name) {
  std::vector<const json*> owned;
  for (const auto& slice : slices) {
    if (slice == nullptr || !is_owned_endpoint_slice(*slice) || is_being_deleted(*slice))
      continue;
    // A write to a slice needs its name: without one its path would be the collection's.
    if (metadata_string(*slice, "name").empty())
      continue;
    if (json_string_at(metadata_child(*slice, "labels"), kServiceNameLabel) != service_name)
      continue;
    owned.push_back(slice.get());
  }
  std::sort(owned.begin(), owned.end(), [](const json* a, const json* b) {
    return metadata_string(*a, "name") < metadata_string(*b, "name");
  });
  return owned;
}

bool takes_precedence(const PodInfo& a, const PodInfo& b) {
  if (is_active(a) != is_active(b))
    return is_active(a);
  if (a.created != b.created)
    return a.created < b.created;
  if (a.name != b.name)
    return a.name < b.name;
  return a.uid < b.uid;
}

bool is_valid_service_name(std::string_view name, const ReconcileOptions& options) {
  return options.relaxed_service_names ? is_dns1123_label(name) : is_dns1035_label(name);
}

Candidates choose_winner(std::string_view service_name, const PodList& pods,
                         const ReconcileOptions& options) {
  PodList wanting;
  Candidates candidates;
  for (const auto& pod : pods) {
    if (pod == nullptr)
      continue;
    if (pod->wants_service) {
      wanting.push_back(pod);
    } else if (!pod->unread_annotation.empty()) {
      candidates.skipped.push_back(
          {pod, metrics::SkipReason::kAnnotationValue, std::string(kReasonAnnotationNotUnderstood),
           "the annotation's value \"" + pod->unread_annotation +
               "\" is neither \"true\" nor \"false\"; write exactly \"true\" (lower case, no "
               "spaces) to get a headless Service. No Service is created"});
    }
  }
  if (wanting.empty())
    return candidates;
  std::sort(wanting.begin(), wanting.end(),
            [](const auto& a, const auto& b) { return takes_precedence(*a, *b); });
  if (!is_valid_service_name(service_name, options)) {
    for (const auto& pod : wanting) {
      candidates.skipped.push_back(
          {pod, metrics::SkipReason::kInvalidName, std::string(kReasonInvalidHostname),
           "hostname \"" + std::string(service_name) +
               "\" cannot be a Service name (lowercase letters, digits and '-', starting with a "
               "letter, at most 63 characters); no Service is created"});
    }
    return candidates;
  }
  candidates.winner = wanting.front();
  for (std::size_t i = 1; i < wanting.size(); ++i) {
    candidates.skipped.push_back(
        {wanting[i], metrics::SkipReason::kCollision, std::string(kReasonHostnameCollision),
         "hostname \"" + std::string(service_name) + "\" is already served by pod " +
             candidates.winner->name + ", which takes precedence (older); this pod gets it when " +
             "that one goes away"});
  }
  return candidates;
}

ExistingService classify_service(const json* existing, const PodInfo* winner,
                                 const ReconcileOptions& options) {
  if (existing == nullptr)
    return ExistingService::kAbsent;
  if (is_owned_service(*existing))
    return ExistingService::kOwned;
  const json& spec = json_child(*existing, "spec");
  if (options.adopt_legacy && winner != nullptr &&
      metadata_string(*existing, "name") == winner->name &&
      json_string_at(spec, "clusterIP") == "None" && is_empty(json_child(spec, "selector")) &&
      controlled_by_nothing_but_a_pod(*existing)) {
    return ExistingService::kAdoptable;
  }
  return ExistingService::kForeign;
}

ServicePlan plan_service(std::string_view namespace_name, std::string_view service_name,
                         const PodList& pods, const json* existing,
                         const ReconcileOptions& options) {
  ServicePlan plan;
  plan.candidates = choose_winner(service_name, pods, options);
  const PodInfo* winner = plan.candidates.winner.get();
  plan.existing = classify_service(existing, winner, options);
  if (existing != nullptr)
    plan.existing_uid = metadata_string(*existing, "uid");
  using Action = ServicePlan::Action;

  switch (plan.existing) {
    case ExistingService::kAbsent:
      if (winner != nullptr && winner->terminating) {
        // A pod on its way out gets no new Service: it would only be deleted again, and when
        // the cache still shows a deleted pod as terminating (its Service's deletion by the
        // garbage collector seen first), it would be created for a pod that is gone.
        plan.candidates.winner = nullptr;
        return plan;
      }
      if (winner != nullptr) {
        plan.action = Action::kCreate;
        plan.body = desired_service(*winner, std::string(service_name), options);
        plan.body["metadata"]["namespace"] = std::string(namespace_name);
      }
      return plan;
    case ExistingService::kOwned:
      if (winner == nullptr) {
        plan.action = is_being_deleted(*existing) ? Action::kNothing : Action::kDelete;
        return plan;
      }
      if (is_being_deleted(*existing)) {
        plan.action = Action::kWaitForDeletion;
        return plan;
      }
      if (service_needs_recreation(*existing,
                                   desired_service(*winner, std::string(service_name), options))) {
        plan.action = Action::kRecreate;
        return plan;
      }
      [[fallthrough]];
    case ExistingService::kAdoptable: {
      auto patch =
          service_patch(*existing, desired_service(*winner, std::string(service_name), options));
      if (patch) {
        plan.action = Action::kPatch;
        plan.body = std::move(*patch);
      }
      return plan;
    }
    case ExistingService::kForeign:
      if (winner != nullptr)
        leave_to_its_owner(plan, service_name);
      return plan;
  }
  return plan;
}

std::vector<ObjectWrite> plan_dependents(const PodInfo* winner, const ServiceRef& service,
                                         const ObjectList& existing_slices,
                                         const json* existing_endpoints,
                                         bool remove_unlabelled_endpoints,
                                         const ReconcileOptions& options) {
  using metrics::ObjectKind;
  using metrics::WriteAction;
  std::vector<ObjectWrite> deletes, updates, creates;

  const std::vector<const json*> owned = owned_slices(existing_slices, service.name);
  // A pod whose records live in its subdomain's slices has none of its own (its Service is an
  // alias): a second endpoint with its IP would give the IP a second PTR record.
  const bool own_records = winner != nullptr && effective_subdomain(*winner, options).empty();
  const std::vector<json> desired =
      own_records ? desired_endpoint_slices(*winner, service, options) : std::vector<json>{};
  std::vector<bool> matched(owned.size(), false);
  for (const json& want : desired) {
    const std::string address_type = json_string_at(want, "addressType");
    bool found = false;
    for (std::size_t i = 0; i < owned.size() && !found; ++i) {
      if (matched[i] || json_string_at(*owned[i], "addressType") != address_type)
        continue;
      matched[i] = found = true;
      if (auto patch = endpoint_slice_patch(*owned[i], want)) {
        updates.push_back({ObjectKind::kEndpointSlice, WriteAction::kUpdate,
                           metadata_string(*owned[i], "name"), std::move(*patch), ""});
      }
    }
    if (!found) {
      creates.push_back({ObjectKind::kEndpointSlice, WriteAction::kCreate,
                         json_string_at(want["metadata"], "name"), want, ""});
    }
  }
  for (std::size_t i = 0; i < owned.size(); ++i) {
    if (!matched[i]) {
      deletes.push_back({ObjectKind::kEndpointSlice, WriteAction::kDelete,
                         metadata_string(*owned[i], "name"), nullptr,
                         metadata_string(*owned[i], "uid")});
    }
  }

  const bool want_endpoints = options.legacy_endpoints && own_records;
  if (existing_endpoints != nullptr && !is_being_deleted(*existing_endpoints)) {
    const bool ours = is_owned_endpoints(*existing_endpoints) || remove_unlabelled_endpoints;
    if (ours && want_endpoints) {
      if (auto patch =
              endpoints_patch(*existing_endpoints, desired_endpoints(*winner, service, options))) {
        updates.push_back(
            {ObjectKind::kEndpoints, WriteAction::kUpdate, service.name, std::move(*patch), ""});
      }
    } else if (ours) {
      deletes.push_back({ObjectKind::kEndpoints, WriteAction::kDelete, service.name, nullptr,
                         metadata_string(*existing_endpoints, "uid")});
    }
  } else if (existing_endpoints == nullptr && want_endpoints) {
    creates.push_back({ObjectKind::kEndpoints, WriteAction::kCreate, service.name,
                       desired_endpoints(*winner, service, options), ""});
  }

  std::vector<ObjectWrite> writes = std::move(deletes);
  for (auto* list : {&updates, &creates}) {
    std::move(list->begin(), list->end(), std::back_inserter(writes));
  }
  return writes;
}

}  // namespace hso::reconciler::plan
