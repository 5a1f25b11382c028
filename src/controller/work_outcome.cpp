#include "hso/controller/work_outcome.hpp"

#include <spdlog/spdlog.h>

namespace hso::controller {

void settle(workqueue::WorkQueue& queue, const std::string& key,
            const reconciler::ReconcileOutcome& outcome) {
  using Kind = reconciler::ReconcileOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kDone:
      queue.forget(key);
      break;
    case Kind::kRequeueAfter:
    case Kind::kNotLeading:  // no backoff counted: withholding the write was not a failure
      queue.forget(key);
      queue.add_after(key, outcome.delay);
      break;
    case Kind::kRetry:
      spdlog::debug("reconcile {} will be retried: {}", key, outcome.message);
      queue.add_rate_limited(key);
      break;
  }
}

}  // namespace hso::controller
