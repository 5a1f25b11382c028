#pragma once

#include <chrono>

#include "hso/util/clock.hpp"
#include "hso/util/stop_wait.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::runtime {

// How the runtime runs its workers; app/ fills it in from the command line
// (app/component_options.hpp).
struct WorkerOptions {
  int workers = 4;
  // A pass over every key this often.
  Clock::Duration resync_period = std::chrono::minutes(10);
  // How the resync waits out its period; tests substitute one they step by hand.
  Sleeper resync_wait = real_sleeper();
  workqueue::WorkQueueOptions queue;
};

}  // namespace hso::runtime
