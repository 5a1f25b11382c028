#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stop_token>
#include <thread>
#include <vector>

#include "hso/metrics/sinks.hpp"
#include "hso/runtime/key_reconciler.hpp"
#include "hso/runtime/worker_options.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::runtime {

// A generic controller: a work queue of keys and the workers that hand each key to a
// KeyReconciler. It knows keys, not what they name. The workers start only once the KeySource
// has synced, after a pass over every key the source knows, and a pass is repeated every resync
// period. The watches themselves run apart from it (every replica keeps warm caches; only the
// leader runs workers), and their handlers add keys to queue().
class Controller {
 public:
  Controller(KeySource& source, KeyReconciler& reconciler, WorkerOptions options,
             const Clock& clock = SystemClock::instance(),
             metrics::QueueMetrics* metrics = nullptr);
  ~Controller();

  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Returns at once; on a thread of its own waits for the source to sync, queues every key it
  // knows, then runs the workers and the resync. Does nothing while workers run, or after stop().
  void start_workers();
  // Stops taking work and lets in-flight reconciles finish within `bound`. Returns false when
  // reconciles were still running at the deadline.
  bool drain(std::chrono::milliseconds bound);
  // Drops queued work and joins the workers (each ends with the key in hand); start_workers() may
  // run them again, from a new sync wait and a new pass over every key.
  void stop_workers();
  // stop_workers() for good: start_workers() does nothing after it.
  void stop();

  workqueue::WorkQueue& queue() { return queue_; }
  Clock::Duration longest_running() const { return queue_.longest_running(); }
  std::size_t workers_running() const;

 private:
  void run_term(std::stop_token stop);
  bool start_worker_threads(std::stop_token stop);
  void enqueue_all();
  void work(std::stop_token stop);

  KeySource& source_;
  KeyReconciler& reconciler_;
  WorkerOptions options_;

  workqueue::WorkQueue queue_;
  std::atomic<bool> workers_started_{false};
  std::atomic<bool> stopped_{false};
  // Started and joined only by the thread that drives leadership (the election runner's, or the
  // main thread without election), and by the main thread once that runner is joined. Not under
  // workers_mutex_: the starter takes that mutex itself, and is joined without it.
  std::jthread starter_;
  mutable Mutex workers_mutex_;
  std::vector<std::jthread> workers_ HSO_GUARDED_BY(workers_mutex_);
};

}  // namespace hso::runtime
