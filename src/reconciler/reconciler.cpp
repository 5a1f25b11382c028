#include "hso/reconciler/reconciler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "hso/kube/errors.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/reconciler/plan/object_diff.hpp"
#include "hso/reconciler/plan/subdomain.hpp"
#include "hso/util/free_memory.hpp"
#include "hso/util/json_access.hpp"

namespace hso::reconciler {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// How long the caches may take to show the operator's own writes before they are trusted anyway.
// Watch events arrive within milliseconds; this is the bound for a lost one.
constexpr std::chrono::milliseconds kWritesSeenWithin = 10s;
// When to look again at a key whose write the leadership gate withheld, should this replica still
// be leading then (a renew that landed late opens the gate again); a lost lease drops the key.
constexpr std::chrono::milliseconds kNotLeadingRecheck = 1s;
// A subdomain pass builds every member's endpoint and unpacks every slice of the subdomain; from
// this many members on, the freed trees are handed back to the kernel after it (10,000 members in
// one subdomain: 62 MiB resident after a start over them without it, 28 MiB with it; BENCHMARKS.md,
// "Objects and writes per pod").
constexpr std::size_t kMembersWorthReturningMemory = 1000;

std::string service_path(const plan::ServiceKey& key) {
  return kube::object_path(kube::kServices, key.namespace_name, key.name);
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

std::string skip_id(const plan::PodSkip& skip) {
  return skip.pod->uid + "|" + skip.event_reason;
}

}  // namespace

Reconciler::Reconciler(kube::ApiClient& api, PodSource& pods, OwnedObjectSource& objects,
                       EventRecorder& events, metrics::ReconcileMetrics& metrics,
                       const Clock& clock, plan::ReconcileOptions options)
    : api_(api),
      pods_(pods),
      objects_(objects),
      events_(events),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      written_(clock, kWritesSeenWithin),
      applier_(api, written_, events, metrics) {}

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

ReconcileOutcome Reconciler::reconcile_key(const plan::ServiceKey& key) {
  if (const auto unseen =
          written_.unseen(key.str(), [&](metrics::ObjectKind kind, const std::string& name) {
            return cached(key, kind, name);
          })) {
    return ReconcileOutcome::wait_for_caches(kWritesSeenWithin,
                                             "waiting for the caches to show " + *unseen);
  }
  std::shared_ptr<const json> existing = objects_.service(key.namespace_name, key.name);
  if (options_.subdomain_records) {
    plan::PodList members = pods_.pods_in_subdomain(key.namespace_name, key.name);
    if (plan::is_subdomain_key(key.name, members, existing.get(), options_)) {
      ReconcileOutcome outcome = reconcile_subdomain(key, members, std::move(existing));
      if (members.size() >= kMembersWorthReturningMemory)
        return_free_memory();
      return outcome;
    }
  }
  return reconcile_pod_key(key, std::move(existing));
}

ReconcileOutcome Reconciler::reconcile_pod_key(const plan::ServiceKey& key,
                                               std::shared_ptr<const json> existing) {
  const plan::PodList pods = pods_wanting_own_service(key);
  const bool wanted =
      std::any_of(pods.begin(), pods.end(), [](const auto& pod) { return pod->wants_service; });
  if (existing == nullptr && wanted && held_by_another_last_time(key)) {
    // Look rather than send a create that would most likely fail again.
    existing = get_if_exists(api_, service_path(key));
  }
  const plan::ReconcileOptions options = per_pod_options(key, pods);
  const AppliedService service = converge_service(
      key,
      [&](const json* current) {
        return plan::plan_service(key.namespace_name, key.name, pods, current, options);
      },
      std::move(existing));
  report_skips(key, service.candidates.skipped);
  if (service.ends) {
    track(key, service.candidates, false);
    return *service.ends;
  }
  const plan::PodInfo* winner = service.candidates.winner.get();
  apply_dependents(key, winner, service.uid, service.adopting, options);
  track(key, service.candidates, winner != nullptr);
  return ReconcileOutcome::done();
}

plan::PodList Reconciler::pods_wanting_own_service(const plan::ServiceKey& key) {
  return plan::pods_wanting_own_service(pods_.pods_for(key.namespace_name, key.name), options_,
                                        [&](const std::string& subdomain) {
                                          return subdomain_is_served(key.namespace_name, subdomain);
                                        });
}

plan::ReconcileOptions Reconciler::per_pod_options(const plan::ServiceKey& key,
                                                   const plan::PodList& pods) {
  const auto winner = plan::choose_winner(key.name, pods, options_).winner;
  const std::string subdomain =
      winner != nullptr ? plan::effective_subdomain(*winner, options_) : std::string();
  if (subdomain.empty() || subdomain_is_served(key.namespace_name, subdomain))
    return options_;
  plan::ReconcileOptions options = options_;
  options.subdomain_records = false;
  return options;
}

bool Reconciler::subdomain_is_served(const std::string& namespace_name,
                                     const std::string& subdomain) {
  const plan::ServiceKey key{namespace_name, subdomain};
  if (const auto cached_service = objects_.service(namespace_name, subdomain))
    return plan::is_owned_service(*cached_service);
  if (held_by_another_last_time(key))
    return false;
  // Not in the caches (which hold only the operator's Services): not made yet, or someone else's.
  const auto found = get_if_exists(api_, service_path(key));
  return found == nullptr || plan::is_owned_service(*found);
}

ReconcileOutcome Reconciler::reconcile_subdomain(const plan::ServiceKey& key,
                                                 const plan::PodList& members,
                                                 std::shared_ptr<const json> existing) {
  const plan::PodList claimants = pods_wanting_own_service(key);
  if (existing == nullptr && held_by_another_last_time(key))
    existing = get_if_exists(api_, service_path(key));
  const AppliedService service = converge_service(
      key,
      [&](const json* current) {
        return plan::plan_subdomain_service(key.namespace_name, key.name, members, claimants,
                                            current, options_);
      },
      std::move(existing));
  report_skips(key, service.candidates.skipped);
  if (service.ends) {
    track(key, service.candidates, false);
    track_members(key, 0);
    return *service.ends;
  }
  const bool serving = service.candidates.winner != nullptr;
  const plan::ObjectList slices = subdomain_slices(key, serving && !members.empty());
  const std::shared_ptr<const json> endpoints = objects_.endpoints(key.namespace_name, key.name);
  const plan::ServiceRef ref{key.namespace_name, key.name, service.uid};
  // Without a Service of the operator's to own them, its slices go too (the garbage collector
  // would take them, later).
  apply_subdomain_slices(key, plan::plan_subdomain_slices(serving ? members : plan::PodList{}, ref,
                                                          slices, endpoints.get(), options_));
  // Not a pod of its own: the members count as managed through their per-pod keys (aliases), or
  // here when they have no Service of their own.
  track(key, service.candidates, false);
  track_members(key, serving ? plan::members_without_own_service(key.name, members, options_) : 0);
  return ReconcileOutcome::done();
}

void Reconciler::apply_subdomain_slices(const plan::ServiceKey& key,
                                        const std::vector<plan::ObjectWrite>& writes) {
  for (const plan::ObjectWrite& write : writes) {
    try {
      applier_.apply(key, write);
    } catch (const kube::ApiError& error) {
      if (write.action != metrics::WriteAction::kCreate ||
          write.kind != metrics::ObjectKind::kEndpointSlice || !error.is_already_exists()) {
        throw;
      }
      auto found = get_if_exists(
          api_, kube::object_path(kube::kEndpointSlices, key.namespace_name, write.name));
      if (found != nullptr && !plan::is_owned_endpoint_slice(*found)) {
        spdlog::warn(
            "EndpointSlice {}/{} is not the operator's: subdomain {} packs its members "
            "into slices of other names",
            key.namespace_name, write.name, key.name);
        MutexLock lock(state_mutex_);
        foreign_slices_[key.str()].push_back(std::move(found));
      }
      throw;
    }
  }
}

plan::ObjectList Reconciler::subdomain_slices(const plan::ServiceKey& key, bool has_members) {
  plan::ObjectList slices = objects_.endpoint_slices(key.namespace_name, key.name);
  MutexLock lock(state_mutex_);
  const auto it = foreign_slices_.find(key.str());
  if (it == foreign_slices_.end())
    return slices;
  if (!has_members) {
    foreign_slices_.erase(it);
    return slices;
  }
  slices.insert(slices.end(), it->second.begin(), it->second.end());
  return slices;
}

AppliedService Reconciler::converge_service(const plan::ServiceKey& key,
                                            const ServicePlanner& planner,
                                            std::shared_ptr<const json> existing) {
  for (bool looked = false;; looked = true) {
    const plan::ServicePlan plan = planner(existing.get());
    try {
      return applier_.apply(key, plan);
    } catch (const kube::ApiError& error) {
      if (looked || plan.action != plan::ServicePlan::Action::kCreate || !error.is_already_exists())
        throw;
      // The caches hold only this operator's Services, so the name is somebody else's (or ours,
      // and the cache is behind): look at it and plan again. Creating first saves a read per new
      // pod.
      existing = get_if_exists(api_, service_path(key));
    }
  }
}

void Reconciler::apply_dependents(const plan::ServiceKey& key, const plan::PodInfo* winner,
                                  const std::string& service_uid, bool adopting,
                                  const plan::ReconcileOptions& options) {
  const bool service_owned = winner != nullptr;
  const plan::ObjectList slices = objects_.endpoint_slices(key.namespace_name, key.name);
  std::shared_ptr<const json> endpoints = objects_.endpoints(key.namespace_name, key.name);
  if (endpoints == nullptr && adopting) {
    // The original operator's Endpoints are unlabelled, so a cache of labelled ones misses them.
    endpoints =
        get_if_exists(api_, kube::object_path(kube::kEndpoints, key.namespace_name, key.name));
  }
  const plan::ServiceRef service{key.namespace_name, key.name, service_uid};
  const bool unlabelled_endpoints_are_legacy = service_owned && options.adopt_legacy;
  applier_.apply(key, plan::plan_dependents(winner, service, slices, endpoints.get(),
                                            unlabelled_endpoints_are_legacy, options));
}

std::shared_ptr<const json> Reconciler::cached(const plan::ServiceKey& key,
                                               metrics::ObjectKind kind, const std::string& name) {
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

void Reconciler::report_skips(const plan::ServiceKey& key,
                              const std::vector<plan::PodSkip>& skipped) {
  std::set<std::string> before;
  {
    MutexLock lock(state_mutex_);
    if (const auto it = skip_states_.find(key.str()); it != skip_states_.end()) {
      before = it->second.skip_ids;
    }
  }
  for (const plan::PodSkip& skip : skipped) {
    if (!before.contains(skip_id(skip))) {
      spdlog::warn("pod {}/{} skipped ({}): {}", skip.pod->namespace_name, skip.pod->name,
                   skip.event_reason, skip.message);
    }
    events_.record(*skip.pod, EventType::kWarning, skip.event_reason, "Skip", skip.message);
  }
}

bool Reconciler::held_by_another_last_time(const plan::ServiceKey& key) {
  MutexLock lock(state_mutex_);
  const auto state = skip_states_.find(key.str());
  return state != skip_states_.end() &&
         state->second.skipped.contains(metrics::SkipReason::kForeignService);
}

void Reconciler::track(const plan::ServiceKey& key, const plan::Candidates& candidates,
                       bool managed) {
  SkipState state;
  for (const plan::PodSkip& skip : candidates.skipped) {
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
    metrics_.set_pods_managed(managed_keys_.size() + members_managed_total_);
  if (reasons_changed) {
    for (const auto& [reason, count] : skipped_totals_)
      metrics_.set_pods_skipped(reason, count);
  }
}

void Reconciler::track_members(const plan::ServiceKey& key, std::size_t members) {
  std::string key_text = key.str();
  MutexLock lock(state_mutex_);
  const auto it = members_managed_.find(key_text);
  const std::size_t before = it == members_managed_.end() ? 0 : it->second;
  if (members == before)
    return;
  members_managed_total_ = members_managed_total_ - before + members;
  if (members == 0)
    members_managed_.erase(it);
  else if (it != members_managed_.end())
    it->second = members;
  else
    members_managed_.emplace(std::move(key_text), members);
  metrics_.set_pods_managed(managed_keys_.size() + members_managed_total_);
}

}  // namespace hso::reconciler
