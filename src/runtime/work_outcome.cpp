#include "hso/runtime/work_outcome.hpp"

#include <spdlog/spdlog.h>

namespace hso::runtime {

void settle(workqueue::WorkQueue& queue, const std::string& key, const WorkOutcome& outcome) {
  switch (outcome.kind) {
    case WorkOutcome::Kind::kDone:
      queue.forget(key);
      break;
    case WorkOutcome::Kind::kRequeueAfter:
      queue.forget(key);
      queue.add_after(key, outcome.delay);
      break;
    case WorkOutcome::Kind::kRetry:
      spdlog::debug("reconcile {} will be retried: {}", key, outcome.why);
      queue.add_rate_limited(key);
      break;
  }
}

}  // namespace hso::runtime
