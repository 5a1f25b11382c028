#pragma once

#include <string>

#include "hso/reconciler/reconciler.hpp"
#include "hso/runtime/key_reconciler.hpp"
#include "hso/runtime/work_outcome.hpp"

namespace hso::controller {

// What a reconcile's outcome asks of the work queue: forget the key, look again after a delay,
// or retry it with the queue's backoff. A write the leadership gate withheld is not a failure:
// the key comes back after the outcome's delay with no backoff counted (a lost lease shuts the
// queue, which drops it).
runtime::WorkOutcome work_outcome(const reconciler::ReconcileOutcome& outcome);

// The reconciler as the runtime's workers call it.
class ServiceKeyReconciler final : public runtime::KeyReconciler {
 public:
  explicit ServiceKeyReconciler(reconciler::Reconciler& reconciler) : reconciler_(reconciler) {}

  // A write withheld by the leadership gate comes back as kNotLeading, not as an exception.
  runtime::WorkOutcome reconcile(const std::string& key) override {
    return work_outcome(reconciler_.reconcile(key));
  }

 private:
  reconciler::Reconciler& reconciler_;
};

}  // namespace hso::controller
