#pragma once

#include <string>

#include "hso/reconciler/reconciler.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::controller {

// What a worker does with its key once the reconcile has ended: forget it, look again after a
// delay, or retry it with the queue's backoff. A write the leadership gate withheld is not a
// failure: the key comes back after the outcome's delay with no backoff counted (a lost lease
// shuts the queue, which drops it). Logs nothing above debug level for the expected outcomes.
void settle(workqueue::WorkQueue& queue, const std::string& key,
            const reconciler::ReconcileOutcome& outcome);

}  // namespace hso::controller
