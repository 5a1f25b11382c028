#pragma once

#include <string>
#include <utility>

#include "hso/util/clock.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::runtime {

// What a reconcile of one key asks of the work queue once it has ended.
struct WorkOutcome {
  enum class Kind {
    kDone,          // nothing more to do: forget the key and its failures
    kRequeueAfter,  // look again after `delay`; not a failure, so no backoff is counted
    kRetry,         // failed: again after the queue's per-key backoff and overall limit
  };
  Kind kind = Kind::kDone;
  Clock::Duration delay{0};
  std::string why;  // of a retry, for the log

  static WorkOutcome done() { return {}; }
  static WorkOutcome requeue_after(Clock::Duration delay) {
    return {Kind::kRequeueAfter, delay, {}};
  }
  static WorkOutcome retry(std::string why) {
    return {Kind::kRetry, Clock::Duration{0}, std::move(why)};
  }
};

// Does with `key` what `outcome` asks: forget it, add it back after a delay, or add it back
// rate-limited. The worker calls done() after this. Logs nothing above debug level.
void settle(workqueue::WorkQueue& queue, const std::string& key, const WorkOutcome& outcome);

}  // namespace hso::runtime
