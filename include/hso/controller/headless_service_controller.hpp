#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "hso/config/operator_config.hpp"
#include "hso/controller/caches.hpp"
#include "hso/informer/reflector.hpp"
#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/async_event_recorder.hpp"
#include "hso/reconciler/reconciler.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::controller {

struct ControllerMetrics {
  metrics::ReconcileMetrics& reconcile;
  metrics::QueueMetrics& queue;
  metrics::WatchMetrics& watch;
};

// The operator's one controller: reflectors fill the caches, cache changes enqueue Service keys,
// and workers reconcile them. Reflectors run from start() on every replica (standbys keep warm
// caches); workers run only from start_workers(), which the leader calls.
class HeadlessServiceController {
 public:
  // `reader` lists and watches; `writer` is what the reconciler and the event recorder write
  // through (the leadership-gated client).
  HeadlessServiceController(kube::ApiClient& reader, kube::ApiClient& writer,
                            const config::OperatorConfig& config, ControllerMetrics metrics,
                            std::string instance_id, const Clock& clock = SystemClock::instance());
  ~HeadlessServiceController();

  HeadlessServiceController(const HeadlessServiceController&) = delete;
  HeadlessServiceController& operator=(const HeadlessServiceController&) = delete;

  void start();
  bool has_synced() const;
  // "" once every cache has synced; else which waits and the last error it met.
  std::string unsynced_reason() const;
  // Blocks until every cache has synced or `stop` is requested.
  bool wait_for_sync(std::stop_token stop) const;
  // Once every cache has synced (without blocking the caller), queues every key the caches know
  // so that a new leader converges everything, then runs the workers.
  void start_workers();
  // Stops taking work and lets in-flight reconciles finish within `bound`. Returns false when
  // reconciles were still running at the deadline.
  bool drain(std::chrono::milliseconds bound);
  // After a lost lease: drops queued work and joins the workers (their writes are already
  // refused by the gate, so each ends with its current request); the caches stay warm and
  // start_workers() may run them again.
  void stop_workers();
  // Drains without waiting, then joins the workers (each waits for its request to end) and stops
  // the reflectors.
  void stop();

  std::size_t pods_watched() const;
  Clock::Duration longest_running() const { return queue_.longest_running(); }
  workqueue::WorkQueue& queue() { return queue_; }

 private:
  void build_scope(const std::string& namespace_name);
  void connect_handlers(ScopeCaches& scope);
  void enqueue_all();
  // Stops the starter and the resync, shuts the queue and joins the workers.
  void join_workers();
  void work(std::stop_token stop);

  kube::ApiClient& reader_;
  const config::OperatorConfig& config_;
  ControllerMetrics metrics_;
  const Clock& clock_;

  workqueue::WorkQueue queue_;
  std::vector<std::unique_ptr<ScopeCaches>> scopes_;
  std::vector<std::unique_ptr<informer::Reflector>> reflectors_;
  std::unique_ptr<CacheDirectory> directory_;
  std::unique_ptr<reconciler::AsyncEventRecorder> events_;
  std::unique_ptr<reconciler::Reconciler> reconciler_;
  std::atomic<bool> workers_started_{false};
  // Started and joined only by the thread that drives leadership (the election runner's, or the
  // main thread without election), and by the main thread once that runner is joined. Not under
  // workers_mutex_: the starter takes that mutex itself, and is joined without it.
  std::jthread starter_;
  Mutex workers_mutex_;
  std::vector<std::jthread> workers_ HSO_GUARDED_BY(workers_mutex_);
};

}  // namespace hso::controller
