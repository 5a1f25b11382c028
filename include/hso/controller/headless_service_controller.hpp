#pragma once

#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>

#include "hso/controller/options.hpp"
#include "hso/controller/service_watches.hpp"
#include "hso/controller/work_outcome.hpp"
#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/async_event_recorder.hpp"
#include "hso/reconciler/reconciler.hpp"
#include "hso/runtime/controller.hpp"
#include "hso/util/clock.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::controller {

struct ControllerMetrics {
  metrics::ReconcileMetrics& reconcile;
  metrics::QueueMetrics& queue;
  metrics::WatchMetrics& watch;
};

// The operator's one controller, the headless-service wiring around the generic runtime:
// ServiceWatches fill the caches and their changes enqueue Service keys; the runtime's workers
// hand each key to the Reconciler, which reads the caches and writes through `writer`, with an
// event recorder beside it. The watches run from start() on every replica (standbys keep warm
// caches); the workers only from start_workers(), which the leader calls.
class HeadlessServiceController {
 public:
  // `reader` lists and watches; `writer` is what the reconciler and the event recorder write
  // through (the leadership-gated client).
  HeadlessServiceController(kube::ApiClient& reader, kube::ApiClient& writer,
                            const ControllerOptions& options, ControllerMetrics metrics,
                            std::string instance_id, const Clock& clock = SystemClock::instance());
  ~HeadlessServiceController();

  HeadlessServiceController(const HeadlessServiceController&) = delete;
  HeadlessServiceController& operator=(const HeadlessServiceController&) = delete;

  void start() { watches_.start(); }
  bool has_synced() const { return watches_.has_synced(); }
  // "" once every cache has synced; else which waits and the last error it met.
  std::string unsynced_reason() const { return watches_.unsynced_reason(); }
  // Blocks until every cache has synced or `stop` is requested.
  bool wait_for_sync(std::stop_token stop) const { return watches_.wait_for_sync(stop); }
  // Once every cache has synced (without blocking the caller), queues every key the caches know
  // so that a new leader converges everything, then runs the workers.
  void start_workers() { runtime_.start_workers(); }
  // Stops taking work and lets in-flight reconciles finish within `bound`. Returns false when
  // reconciles were still running at the deadline.
  bool drain(std::chrono::milliseconds bound) { return runtime_.drain(bound); }
  // After a lost lease: drops queued work and joins the workers (their writes are already
  // refused by the gate, so each ends with its current request); the caches stay warm and
  // start_workers() may run them again.
  void stop_workers();
  // Drains without waiting, then joins the workers (each waits for its request to end), stops
  // the event recorder and the watches.
  void stop();

  std::size_t pods_watched() const { return watches_.pods_watched(); }
  Clock::Duration longest_running() const { return runtime_.longest_running(); }
  workqueue::WorkQueue& queue() { return runtime_.queue(); }

 private:
  // Declared in the order they depend on each other; the runtime last, so that its workers are
  // joined before what they call goes.
  ServiceWatches watches_;
  reconciler::AsyncEventRecorder events_;
  reconciler::Reconciler reconciler_;
  ServiceKeyReconciler key_reconciler_;
  runtime::Controller runtime_;
};

}  // namespace hso::controller
