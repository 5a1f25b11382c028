#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/event_recorder.hpp"
#include "hso/reconciler/outcome.hpp"
#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/write_expectations.hpp"

namespace hso::reconciler {

// How long to wait before looking again when the cache lags behind a change the server already
// has (409 on a stale resourceVersion, AlreadyExists, a vanished object).
inline constexpr std::chrono::milliseconds kCacheCatchUp{1000};

// What applying the Service's plan left: the outcome when the pass ends there, the candidates as
// they stand after the write (a name the API server rejected is one more skip; a deleted Service
// serves nobody), and the uid of the Service the dependents belong to.
struct AppliedService {
  std::optional<ReconcileOutcome> ends;
  plan::Candidates candidates;
  std::string uid;
  bool adopting = false;  // the original operator's Service, taken over by this pass
};

// The I/O half of a reconcile: sends what a plan (reconciler/plan/) asks for through the writer
// client, records each write in `written` for the caches to confirm, counts it and reports the
// Normal Events that follow the operator's own writes. It reads nothing and never changes the
// plan it is given. An ApiError it does not handle itself reaches the caller, which decides what
// it means for the key (an AlreadyExists on create: look at the Service and plan again).
class PlanApplier {
 public:
  PlanApplier(kube::ApiClient& api, WriteExpectations& written, EventRecorder& events,
              metrics::ReconcileMetrics& metrics)
      : api_(api), written_(written), events_(events), metrics_(metrics) {}

  AppliedService apply(const plan::ServiceKey& key, const plan::ServicePlan& plan);
  // The writes of plan_dependents, in their order (deletes first, so a recreated name is free).
  void apply(const plan::ServiceKey& key, const std::vector<plan::ObjectWrite>& writes);
  // One of them.
  void apply(const plan::ServiceKey& key, const plan::ObjectWrite& write) { execute(key, write); }

 private:
  AppliedService create_service(const plan::ServiceKey& key, const plan::ServicePlan& plan);
  void patch_service(const plan::ServiceKey& key, const plan::ServicePlan& plan);
  void execute(const plan::ServiceKey& key, const plan::ObjectWrite& write);
  // Deletes with a uid precondition; an object already gone is fine.
  void remove(metrics::ObjectKind kind, const plan::ServiceKey& key, const std::string& name,
              const std::string& uid);

  kube::ApiClient& api_;
  WriteExpectations& written_;
  EventRecorder& events_;
  metrics::ReconcileMetrics& metrics_;
};

}  // namespace hso::reconciler
