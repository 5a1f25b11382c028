#include "hso/controller/work_outcome.hpp"

namespace hso::controller {

runtime::WorkOutcome work_outcome(const reconciler::ReconcileOutcome& outcome) {
  using Kind = reconciler::ReconcileOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kDone:
      return runtime::WorkOutcome::done();
    case Kind::kRequeueAfter:
    case Kind::kNotLeading:  // no backoff counted: withholding the write was not a failure
      return runtime::WorkOutcome::requeue_after(outcome.delay);
    case Kind::kRetry:
      break;
  }
  return runtime::WorkOutcome::retry(outcome.message);
}

}  // namespace hso::controller
