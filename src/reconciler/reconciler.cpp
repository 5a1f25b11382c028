#include "hso/reconciler/reconciler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "hso/kube/errors.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/reconciler/object_diff.hpp"
#include "hso/util/json_access.hpp"

namespace hso::reconciler {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// How long to wait before looking again when the cache lags behind a change the server already
// has (409 on a stale resourceVersion, AlreadyExists, a vanished object).
constexpr std::chrono::milliseconds kCacheCatchUp = 1s;
// How long the caches may take to show the operator's own writes before they are trusted anyway.
// Watch events arrive within milliseconds; this is the bound for a lost one.
constexpr std::chrono::milliseconds kWritesSeenWithin = 10s;
// When to look again at a key whose write the leadership gate withheld, should this replica still
// be leading then (a renew that landed late opens the gate again); a lost lease drops the key.
constexpr std::chrono::milliseconds kNotLeadingRecheck = 1s;

std::string resource_version_of(const json& object) {
  return metadata_string(object, "resourceVersion");
}

// What a plan leaves when its write changes nothing of it.
AppliedService as_planned(const ServicePlan& plan) {
  return {std::nullopt, plan.candidates, plan.existing_uid,
          plan.existing == ExistingService::kAdoptable};
}

std::string service_path(const ServiceKey& key) {
  return kube::object_path(kube::kServices, key.namespace_name, key.name);
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

ReconcileOutcome outcome_for(const kube::ApiError& error) {
  if (error.is_conflict() || error.is_already_exists() || error.is_not_found()) {
    return ReconcileOutcome::requeue_after(kCacheCatchUp, error.what());
  }
  if (error.is_too_many_requests()) {
    return ReconcileOutcome::requeue_after(error.retry_after().value_or(1s), error.what());
  }
  return ReconcileOutcome::retry(error.what());
}

metrics::ReconcileResult result_for(const ReconcileOutcome& outcome) {
  switch (outcome.kind) {
    case ReconcileOutcome::Kind::kDone:
      return metrics::ReconcileResult::kSuccess;
    case ReconcileOutcome::Kind::kRequeueAfter:
    case ReconcileOutcome::Kind::kNotLeading:
      return metrics::ReconcileResult::kRequeue;
    case ReconcileOutcome::Kind::kRetry:
      return metrics::ReconcileResult::kError;
  }
  return metrics::ReconcileResult::kError;
}

std::string skip_id(const PodSkip& skip) {
  return skip.pod->uid + "|" + skip.event_reason;
}

}  // namespace

Reconciler::Reconciler(kube::ApiClient& api, PodSource& pods, OwnedObjectSource& objects,
                       EventRecorder& events, metrics::ReconcileMetrics& metrics,
                       const Clock& clock, ReconcileOptions options)
    : api_(api),
      pods_(pods),
      objects_(objects),
      events_(events),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      written_(clock, kWritesSeenWithin) {}

ReconcileOutcome Reconciler::reconcile(const std::string& key) {
  const auto started = clock_.now();
  ReconcileOutcome outcome;
  const auto parsed = ObjectKey::parse(key);
  if (!parsed) {
    spdlog::error("reconcile: ignoring malformed key \"{}\"", key);
  } else if (!options_.namespaces.empty() &&
             std::find(options_.namespaces.begin(), options_.namespaces.end(),
                       parsed->namespace_name) == options_.namespaces.end()) {
    spdlog::debug("reconcile: {} is outside the watched namespaces", key);
  } else {
    try {
      outcome = reconcile_key(*parsed);
    } catch (const kube::WriteNotAllowed&) {
      outcome = ReconcileOutcome::not_leading(kNotLeadingRecheck);
    } catch (const kube::ApiError& error) {
      outcome = outcome_for(error);
      if (error.is_forbidden()) {
        spdlog::error("reconcile {}: forbidden, check the operator's RBAC: {}", key, error.what());
      }
    } catch (const std::exception& error) {
      outcome = ReconcileOutcome::retry(error.what());
    }
    if (outcome.expected) {
      spdlog::debug("reconcile {}: {}", key, outcome.message);
    } else if (outcome.kind != ReconcileOutcome::Kind::kDone) {
      spdlog::info("reconcile {}: will look again: {}", key, outcome.message);
    }
  }
  metrics_.reconcile_finished(result_for(outcome),
                              std::chrono::duration<double>(clock_.now() - started));
  return outcome;
}

ReconcileOutcome Reconciler::reconcile_key(const ServiceKey& key) {
  if (const auto unseen =
          written_.unseen(key.str(), [&](metrics::ObjectKind kind, const std::string& name) {
            return cached(key, kind, name);
          })) {
    return ReconcileOutcome::wait_for_caches(kWritesSeenWithin,
                                             "waiting for the caches to show " + *unseen);
  }
  const PodList pods = pods_.pods_for(key.namespace_name, key.name);
  std::shared_ptr<const json> existing = objects_.service(key.namespace_name, key.name);
  const bool wanted =
      std::any_of(pods.begin(), pods.end(), [](const auto& pod) { return pod->wants_service; });
  if (existing == nullptr && wanted && held_by_another_last_time(key)) {
    // Look rather than send a create that would most likely fail again.
    existing = get_if_exists(api_, service_path(key));
  }

  const AppliedService service = converge_service(key, pods, std::move(existing));
  report_skips(key, service.candidates.skipped);
  if (service.ends) {
    track(key, service.candidates, false);
    return *service.ends;
  }
  const PodInfo* winner = service.candidates.winner.get();
  apply_dependents(key, winner, service.uid, winner != nullptr, service.adopting);
  track(key, service.candidates, winner != nullptr);
  return ReconcileOutcome::done();
}

AppliedService Reconciler::converge_service(const ServiceKey& key, const PodList& pods,
                                            std::shared_ptr<const json> existing) {
  for (bool looked = false;; looked = true) {
    const ServicePlan plan =
        plan_service(key.namespace_name, key.name, pods, existing.get(), options_);
    try {
      return apply_service_plan(key, plan);
    } catch (const kube::ApiError& error) {
      if (looked || plan.action != ServicePlan::Action::kCreate || !error.is_already_exists())
        throw;
      // The caches hold only this operator's Services, so the name is somebody else's (or ours,
      // and the cache is behind): look at it and plan again. Creating first saves a read per new
      // pod.
      existing = get_if_exists(api_, service_path(key));
    }
  }
}

AppliedService Reconciler::apply_service_plan(const ServiceKey& key, const ServicePlan& plan) {
  using Action = ServicePlan::Action;
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

AppliedService Reconciler::create_service(const ServiceKey& key, const ServicePlan& plan) {
  AppliedService applied = as_planned(plan);
  const PodInfo& winner = *plan.candidates.winner;
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
         std::string(kReasonServiceRejected),
         "the API server rejected Service \"" + key.name + "\": " + error.status_message()});
    applied.candidates.winner = nullptr;
    applied.ends = ReconcileOutcome::done();
    return applied;
  }
  metrics_.object_written(metrics::ObjectKind::kService, metrics::WriteAction::kCreate);
  spdlog::info("created Service {} for pod {}", key.str(), winner.name);
  events_.record(winner, EventType::kNormal, kReasonServiceCreated, "Create",
                 "Created headless Service \"" + key.name + "\" so the pod's hostname resolves");
  return applied;
}

void Reconciler::patch_service(const ServiceKey& key, const ServicePlan& plan) {
  const PodInfo& winner = *plan.candidates.winner;
  // The patch carries the resourceVersion it was planned from.
  written_.written(key.str(), metrics::ObjectKind::kService,
                   api_.patch(service_path(key), kube::PatchType::kMerge, plan.body),
                   resource_version_of(plan.body));
  metrics_.object_written(metrics::ObjectKind::kService, metrics::WriteAction::kUpdate);
  if (plan.existing == ExistingService::kAdoptable) {
    spdlog::info("adopted Service {} made by the original operator, for pod {}", key.str(),
                 winner.name);
    events_.record(winner, EventType::kNormal, kReasonServiceAdopted, "Adopt",
                   "Adopted Service \"" + key.name + "\" made by the original operator");
  } else {
    spdlog::info("updated Service {} for pod {}", key.str(), winner.name);
  }
}

void Reconciler::apply_dependents(const ServiceKey& key, const PodInfo* winner,
                                  const std::string& service_uid, bool service_owned,
                                  bool adopting) {
  const ObjectList slices = objects_.endpoint_slices(key.namespace_name, key.name);
  std::shared_ptr<const json> endpoints = objects_.endpoints(key.namespace_name, key.name);
  if (endpoints == nullptr && adopting) {
    // The original operator's Endpoints are unlabelled, so a cache of labelled ones misses them.
    endpoints =
        get_if_exists(api_, kube::object_path(kube::kEndpoints, key.namespace_name, key.name));
  }
  const ServiceRef service{key.namespace_name, key.name, service_uid};
  const bool unlabelled_endpoints_are_legacy = service_owned && options_.adopt_legacy;
  for (const ObjectWrite& write : plan_dependents(winner, service, slices, endpoints.get(),
                                                  unlabelled_endpoints_are_legacy, options_)) {
    execute(key, write);
  }
}

void Reconciler::execute(const ServiceKey& key, const ObjectWrite& write) {
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

void Reconciler::remove(metrics::ObjectKind kind, const ServiceKey& key, const std::string& name,
                        const std::string& uid) {
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

std::shared_ptr<const json> Reconciler::cached(const ServiceKey& key, metrics::ObjectKind kind,
                                               const std::string& name) {
  switch (kind) {
    case metrics::ObjectKind::kService:
      return objects_.service(key.namespace_name, name);
    case metrics::ObjectKind::kEndpoints:
      return objects_.endpoints(key.namespace_name, name);
    case metrics::ObjectKind::kEndpointSlice:
      for (auto& slice : objects_.endpoint_slices(key.namespace_name, key.name)) {
        if (metadata_string(*slice, "name") == name)
          return slice;
      }
      return nullptr;
    case metrics::ObjectKind::kEvent:
      break;
  }
  return nullptr;
}

void Reconciler::report_skips(const ServiceKey& key, const std::vector<PodSkip>& skipped) {
  std::set<std::string> before;
  {
    MutexLock lock(state_mutex_);
    if (const auto it = skip_states_.find(key.str()); it != skip_states_.end()) {
      before = it->second.skip_ids;
    }
  }
  for (const PodSkip& skip : skipped) {
    if (!before.contains(skip_id(skip))) {
      spdlog::warn("pod {}/{} skipped ({}): {}", skip.pod->namespace_name, skip.pod->name,
                   skip.event_reason, skip.message);
    }
    events_.record(*skip.pod, EventType::kWarning, skip.event_reason, "Skip", skip.message);
  }
}

bool Reconciler::held_by_another_last_time(const ServiceKey& key) {
  MutexLock lock(state_mutex_);
  const auto state = skip_states_.find(key.str());
  return state != skip_states_.end() &&
         state->second.skipped.contains(metrics::SkipReason::kForeignService);
}

void Reconciler::track(const ServiceKey& key, const Candidates& candidates, bool managed) {
  SkipState state;
  for (const PodSkip& skip : candidates.skipped) {
    ++state.skipped[skip.reason];
    state.skip_ids.insert(skip_id(skip));
  }
  std::string key_text = key.str();
  MutexLock lock(state_mutex_);
  const bool managed_changed =
      managed ? managed_keys_.insert(key_text).second : managed_keys_.erase(key_text) > 0;
  const auto current = skip_states_.find(key_text);
  const bool had_skips = current != skip_states_.end();
  if (had_skips) {
    for (const auto& [reason, count] : current->second.skipped)
      skipped_totals_[reason] -= count;
  }
  for (const auto& [reason, count] : state.skipped)
    skipped_totals_[reason] += count;
  const bool reasons_changed =
      had_skips ? state.skipped != current->second.skipped : !state.skipped.empty();
  if (state.skipped.empty()) {
    if (had_skips)
      skip_states_.erase(current);
  } else if (had_skips) {
    current->second = std::move(state);
  } else {
    skip_states_.emplace(std::move(key_text), std::move(state));
  }
  if (managed_changed)
    metrics_.set_pods_managed(managed_keys_.size());
  if (reasons_changed) {
    for (const auto& [reason, count] : skipped_totals_)
      metrics_.set_pods_skipped(reason, count);
  }
}

}  // namespace hso::reconciler
