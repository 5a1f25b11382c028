#include "hso/reconciler/plan_applier.hpp"

#include <spdlog/spdlog.h>

#include "hso/kube/errors.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/util/json_access.hpp"

namespace hso::reconciler {
namespace {

using nlohmann::json;

std::string resource_version_of(const json& object) {
  return metadata_string(object, "resourceVersion");
}

// What a plan leaves when its write changes nothing of it.
AppliedService as_planned(const plan::ServicePlan& plan) {
  return {std::nullopt, plan.candidates, plan.existing_uid,
          plan.existing == plan::ExistingService::kAdoptable};
}

const kube::ApiResource& resource_of(metrics::ObjectKind kind) {
  switch (kind) {
    case metrics::ObjectKind::kService:
      return kube::kServices;
    case metrics::ObjectKind::kEndpointSlice:
      return kube::kEndpointSlices;
    case metrics::ObjectKind::kEndpoints:
      return kube::kEndpoints;
    case metrics::ObjectKind::kEvent:
      return kube::kEvents;
  }
  return kube::kServices;
}

const char* action_name(metrics::WriteAction action) {
  switch (action) {
    case metrics::WriteAction::kCreate:
      return "created";
    case metrics::WriteAction::kUpdate:
      return "updated";
    case metrics::WriteAction::kDelete:
      return "deleted";
  }
  return "written";
}

}  // namespace

AppliedService PlanApplier::apply(const plan::ServiceKey& key, const plan::ServicePlan& plan) {
  using Action = plan::ServicePlan::Action;
  AppliedService applied = as_planned(plan);
  switch (plan.action) {
    case Action::kNothing:
    case Action::kLeaveForeign:
      break;
    case Action::kWaitForDeletion:
      applied.ends = ReconcileOutcome::requeue_after(kCacheCatchUp, "the Service is being deleted");
      break;
    case Action::kCreate:
      return create_service(key, plan);
    case Action::kPatch:
      patch_service(key, plan);
      break;
    case Action::kDelete:
      remove(metrics::ObjectKind::kService, key, key.name, plan.existing_uid);
      applied.candidates.winner = nullptr;
      break;
    case Action::kRecreate:
      remove(metrics::ObjectKind::kService, key, key.name, plan.existing_uid);
      applied.ends = ReconcileOutcome::requeue_after(std::chrono::milliseconds{0},
                                                     "recreating a Service that is not headless");
      break;
  }
  return applied;
}

AppliedService PlanApplier::create_service(const plan::ServiceKey& key,
                                           const plan::ServicePlan& plan) {
  AppliedService applied = as_planned(plan);
  const plan::PodInfo& winner = *plan.candidates.winner;
  try {
    const json created =
        api_.create(kube::collection_path(kube::kServices, key.namespace_name), plan.body);
    written_.written(key.str(), metrics::ObjectKind::kService, created, "");
    applied.uid = metadata_string(created, "uid");
  } catch (const kube::ApiError& error) {
    if (!error.is_invalid())
      throw;
    // The API server's validation is the final word on names: a reported skip, no retry.
    spdlog::warn("pod {}/{}: the API server rejected Service {}: {}", key.namespace_name,
                 winner.name, key.name, error.status_message());
    applied.candidates.skipped.push_back(
        {plan.candidates.winner, metrics::SkipReason::kInvalidName,
         std::string(plan::kReasonServiceRejected),
         "the API server rejected Service \"" + key.name + "\": " + error.status_message()});
    applied.candidates.winner = nullptr;
    applied.ends = ReconcileOutcome::done();
    return applied;
  }
  metrics_.object_written(metrics::ObjectKind::kService, metrics::WriteAction::kCreate);
  spdlog::info("created Service {} for pod {}", key.str(), winner.name);
  const std::string alias_of = json_string_at(json_child(plan.body, "spec"), "externalName");
  events_.record(
      winner, EventType::kNormal, plan::kReasonServiceCreated, "Create",
      alias_of.empty()
          ? "Created headless Service \"" + key.name + "\" so the pod's hostname resolves"
          : "Created Service \"" + key.name + "\", an alias of the pod's FQDN " + alias_of);
  return applied;
}

void PlanApplier::patch_service(const plan::ServiceKey& key, const plan::ServicePlan& plan) {
  const plan::PodInfo& winner = *plan.candidates.winner;
  // The patch carries the resourceVersion it was planned from.
  written_.written(key.str(), metrics::ObjectKind::kService,
                   api_.patch(kube::object_path(kube::kServices, key.namespace_name, key.name),
                              kube::PatchType::kMerge, plan.body),
                   resource_version_of(plan.body));
  metrics_.object_written(metrics::ObjectKind::kService, metrics::WriteAction::kUpdate);
  if (plan.existing == plan::ExistingService::kAdoptable) {
    spdlog::info("adopted Service {} made by the original operator, for pod {}", key.str(),
                 winner.name);
    events_.record(winner, EventType::kNormal, plan::kReasonServiceAdopted, "Adopt",
                   "Adopted Service \"" + key.name + "\" made by the original operator");
  } else {
    spdlog::info("updated Service {} for pod {}", key.str(), winner.name);
  }
}

void PlanApplier::apply(const plan::ServiceKey& key, const std::vector<plan::ObjectWrite>& writes) {
  for (const plan::ObjectWrite& write : writes)
    execute(key, write);
}

void PlanApplier::execute(const plan::ServiceKey& key, const plan::ObjectWrite& write) {
  switch (write.action) {
    case metrics::WriteAction::kCreate:
      written_.written(
          key.str(), write.kind,
          api_.create(kube::collection_path(resource_of(write.kind), key.namespace_name),
                      write.body),
          "");
      break;
    case metrics::WriteAction::kUpdate:
      // The patch carries the resourceVersion it was planned from.
      written_.written(
          key.str(), write.kind,
          api_.patch(kube::object_path(resource_of(write.kind), key.namespace_name, write.name),
                     kube::PatchType::kMerge, write.body),
          resource_version_of(write.body));
      break;
    case metrics::WriteAction::kDelete:
      remove(write.kind, key, write.name, write.uid);
      return;
  }
  metrics_.object_written(write.kind, write.action);
  spdlog::info("{} {} {}/{}", action_name(write.action), object_kind_name(write.kind),
               key.namespace_name, write.name);
}

void PlanApplier::remove(metrics::ObjectKind kind, const plan::ServiceKey& key,
                         const std::string& name, const std::string& uid) {
  kube::DeleteOptions options;
  // Never delete a namesake created since the object was read.
  options.precondition_uid = uid;
  try {
    api_.remove(kube::object_path(resource_of(kind), key.namespace_name, name), options);
  } catch (const kube::ApiError& error) {
    if (!error.is_not_found())
      throw;
    written_.deleted(key.str(), kind, name, uid);
    return;
  }
  written_.deleted(key.str(), kind, name, uid);
  metrics_.object_written(kind, metrics::WriteAction::kDelete);
  spdlog::info("deleted {} {}/{}", object_kind_name(kind), key.namespace_name, name);
}

}  // namespace hso::reconciler
