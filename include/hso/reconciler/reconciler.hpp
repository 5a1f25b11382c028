#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>

#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/decision.hpp"
#include "hso/reconciler/event_recorder.hpp"
#include "hso/reconciler/keys.hpp"
#include "hso/reconciler/options.hpp"
#include "hso/reconciler/sources.hpp"
#include "hso/reconciler/write_expectations.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::reconciler {

struct ReconcileOutcome {
  enum class Kind {
    kDone,          // the world matches (or the key is a reported skip): forget the key
    kRequeueAfter,  // look again after `delay` (conflict with a concurrent change, throttling)
    kRetry,         // failed: retry with the queue's backoff
    kNotLeading,    // a write was withheld because this replica may not write: not a failure
  };
  Kind kind = Kind::kDone;
  std::chrono::milliseconds delay{0};
  std::string message;
  bool expected = false;  // a requeue that is part of normal work (logged at debug level)

  static ReconcileOutcome done() { return {}; }
  static ReconcileOutcome requeue_after(std::chrono::milliseconds delay, std::string why) {
    return {Kind::kRequeueAfter, delay, std::move(why)};
  }
  static ReconcileOutcome retry(std::string why) {
    return {Kind::kRetry, std::chrono::milliseconds{0}, std::move(why)};
  }
  // The leadership gate withheld a write. If the lease is lost the workers are stopped and the
  // queue dropped; if the gate opens again (a late renew landed), the key is looked at after
  // `delay`.
  static ReconcileOutcome not_leading(std::chrono::milliseconds delay) {
    return {Kind::kNotLeading, delay, "not the leader: write withheld", true};
  }
  // The caches have not shown this operator's last writes of the key yet: their watch events
  // bring the key back; `delay` is only the fallback should an event be lost.
  static ReconcileOutcome wait_for_caches(std::chrono::milliseconds delay, std::string why) {
    return {Kind::kRequeueAfter, delay, std::move(why), true};
  }
};

// What applying the Service's plan left: the outcome when the pass ends there, the candidates as
// they stand after the write (a name the API server rejected is one more skip; a deleted Service
// serves nobody), and the uid of the Service the dependents belong to.
struct AppliedService {
  std::optional<ReconcileOutcome> ends;
  Candidates candidates;
  std::string uid;
  bool adopting = false;  // the original operator's Service, taken over by this pass
};

// Makes the Service, EndpointSlices and (optionally) Endpoints for one key match what the pods
// ask for. Level-triggered and idempotent: a second call with nothing changed writes nothing.
// Safe to call from several workers at once for different keys.
class Reconciler {
 public:
  Reconciler(kube::ApiClient& api, PodSource& pods, OwnedObjectSource& objects,
             EventRecorder& events, metrics::ReconcileMetrics& metrics, const Clock& clock,
             ReconcileOptions options);

  ReconcileOutcome reconcile(const std::string& key);

 private:
  ReconcileOutcome reconcile_key(const ServiceKey& key);
  // Plans the Service from what is known of it and applies the plan. A create that finds the
  // name taken reads the Service and plans and applies once more.
  AppliedService converge_service(const ServiceKey& key, const PodList& pods,
                                  std::shared_ptr<const nlohmann::json> existing);
  AppliedService apply_service_plan(const ServiceKey& key, const ServicePlan& plan);
  AppliedService create_service(const ServiceKey& key, const ServicePlan& plan);
  void patch_service(const ServiceKey& key, const ServicePlan& plan);
  void apply_dependents(const ServiceKey& key, const PodInfo* winner,
                        const std::string& service_uid, bool service_owned, bool adopting);
  void execute(const ServiceKey& key, const ObjectWrite& write);
  // Deletes with a uid precondition; an object already gone is fine.
  void remove(metrics::ObjectKind kind, const ServiceKey& key, const std::string& name,
              const std::string& uid);
  void report_skips(const ServiceKey& key, const std::vector<PodSkip>& skipped);
  void track(const ServiceKey& key, const Candidates& candidates, bool managed);
  // Whether the last pass found a Service of someone else's under the key's name.
  bool held_by_another_last_time(const ServiceKey& key);
  // The cached object of the key with this kind and name, or null.
  std::shared_ptr<const nlohmann::json> cached(const ServiceKey& key, metrics::ObjectKind kind,
                                               const std::string& name);

  kube::ApiClient& api_;
  PodSource& pods_;
  OwnedObjectSource& objects_;
  EventRecorder& events_;
  metrics::ReconcileMetrics& metrics_;
  const Clock& clock_;
  ReconcileOptions options_;
  WriteExpectations written_;

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
  std::map<metrics::SkipReason, std::size_t> skipped_totals_ HSO_GUARDED_BY(state_mutex_);
};

}  // namespace hso::reconciler
