#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/event_recorder.hpp"
#include "hso/reconciler/outcome.hpp"
#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/plan/options.hpp"
#include "hso/reconciler/plan_applier.hpp"
#include "hso/reconciler/sources.hpp"
#include "hso/reconciler/write_expectations.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::reconciler {

// Makes the Service, EndpointSlices and (optionally) Endpoints for one key match what the pods
// ask for. Level-triggered and idempotent: a second call with nothing changed writes nothing.
// Safe to call from several workers at once for different keys. It reads the caches (and the API
// server where they cannot know), has reconciler/plan/ decide, hands each plan to a PlanApplier,
// and keeps what each pass skipped for the gauges and the log.
class Reconciler {
 public:
  Reconciler(kube::ApiClient& api, PodSource& pods, OwnedObjectSource& objects,
             EventRecorder& events, metrics::ReconcileMetrics& metrics, const Clock& clock,
             plan::ReconcileOptions options);

  ReconcileOutcome reconcile(const std::string& key);

 private:
  ReconcileOutcome reconcile_key(const plan::ServiceKey& key);
  // Plans the Service from what is known of it and applies the plan. A create that finds the
  // name taken reads the Service and plans and applies once more.
  using ServicePlanner = std::function<plan::ServicePlan(const nlohmann::json* existing)>;
  AppliedService converge_service(const plan::ServiceKey& key, const ServicePlanner& planner,
                                  std::shared_ptr<const nlohmann::json> existing);
  // The key of a subdomain's Service (plan/subdomain.hpp): the Service and its packed slices.
  ReconcileOutcome reconcile_subdomain(const plan::ServiceKey& key, const plan::PodList& members,
                                       std::shared_ptr<const nlohmann::json> existing);
  // Applies a subdomain's slice writes. A create that finds its name held by a slice that is not
  // the operator's remembers that slice, so the next pass packs around its name; the pass then
  // ends as any AlreadyExists does (a requeue).
  void apply_subdomain_slices(const plan::ServiceKey& key,
                              const std::vector<plan::ObjectWrite>& writes);
  // The subdomain's slices from the caches, and the slices of others found under names it chose.
  plan::ObjectList subdomain_slices(const plan::ServiceKey& key, bool has_members);
  // The per-pod key: the Service named after a hostname and its slices.
  ReconcileOutcome reconcile_pod_key(const plan::ServiceKey& key,
                                     std::shared_ptr<const nlohmann::json> existing);
  // The pods whose effective hostname is the key's name and that may need a Service of that name:
  // not the members whose subdomain's Service alone serves them (subdomain_hostname_aliases off).
  plan::PodList pods_wanting_own_service(const plan::ServiceKey& key);
  // A member of a subdomain whose Service is someone else's keeps a headless Service of its own,
  // as before subdomain records: an alias would point at records the operator does not publish.
  plan::ReconcileOptions per_pod_options(const plan::ServiceKey& key, const plan::PodList& pods);
  // Whether the subdomain's Service is the operator's, or not there yet (the operator makes it).
  bool subdomain_is_served(const std::string& namespace_name, const std::string& subdomain);
  void apply_dependents(const plan::ServiceKey& key, const plan::PodInfo* winner,
                        const std::string& service_uid, bool adopting,
                        const plan::ReconcileOptions& options);
  void report_skips(const plan::ServiceKey& key, const std::vector<plan::PodSkip>& skipped);
  void track(const plan::ServiceKey& key, const plan::Candidates& candidates, bool managed);
  // The members a subdomain's key serves without a Service of their own, for pods_managed.
  void track_members(const plan::ServiceKey& key, std::size_t members);
  // Whether the last pass found a Service of someone else's under the key's name.
  bool held_by_another_last_time(const plan::ServiceKey& key);
  // The cached object of the key with this kind and name, or null.
  std::shared_ptr<const nlohmann::json> cached(const plan::ServiceKey& key,
                                               metrics::ObjectKind kind, const std::string& name);

  kube::ApiClient& api_;
  PodSource& pods_;
  OwnedObjectSource& objects_;
  EventRecorder& events_;
  metrics::ReconcileMetrics& metrics_;
  const Clock& clock_;
  plan::ReconcileOptions options_;
  WriteExpectations written_;
  PlanApplier applier_;

  // What the last pass over each key found, for the pods_managed / pods_skipped gauges and so a
  // skip is logged once rather than on every resync. Nearly every key is managed without skips:
  // it costs one set entry, not a map node with two empty containers (about 100 bytes less per
  // annotated pod; BENCHMARKS.md, Session 7).
  struct SkipState {
    std::map<metrics::SkipReason, std::size_t> skipped;
    std::set<std::string> skip_ids;  // "<pod uid>|<reason>"
  };
  Mutex state_mutex_;
  std::unordered_set<std::string> managed_keys_ HSO_GUARDED_BY(state_mutex_);
  std::map<std::string, SkipState> skip_states_ HSO_GUARDED_BY(state_mutex_);  // keys with skips
  // Subdomain keys with members that have no key of their own, and how many (track_members).
  std::unordered_map<std::string, std::size_t> members_managed_ HSO_GUARDED_BY(state_mutex_);
  std::size_t members_managed_total_ HSO_GUARDED_BY(state_mutex_) = 0;
  std::map<metrics::SkipReason, std::size_t> skipped_totals_ HSO_GUARDED_BY(state_mutex_);
  // Slices of someone else's that hold a name a subdomain's packing chose (the caches hold only
  // the operator's slices), by subdomain key; forgotten when the subdomain has no members.
  std::unordered_map<std::string, plan::ObjectList> foreign_slices_ HSO_GUARDED_BY(state_mutex_);
};

}  // namespace hso::reconciler
