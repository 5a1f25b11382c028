#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "hso/controller/caches.hpp"
#include "hso/informer/reflector.hpp"
#include "hso/kube/api_client.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/reconciler/async_event_recorder.hpp"
#include "hso/reconciler/options.hpp"
#include "hso/reconciler/reconciler.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"
#include "hso/workqueue/work_queue.hpp"

namespace hso::controller {

// What the controller is told; app/ fills it in from the command line
// (app/component_options.hpp), so the controller never sees the command line.
struct ControllerOptions {
  // Empty: all namespaces; else one set of caches per namespace. Also reconcile.namespaces.
  std::vector<std::string> namespaces;
  // The annotation a pod asks for its Service with.
  std::string pod_annotation;
  // The label selector of the pod watch, applied server-side (empty: every pod).
  std::string pod_selector;
  int workers = 4;
  // A pass over every key this often.
  std::chrono::milliseconds resync_period{600'000};
  reconciler::ReconcileOptions reconcile;
};

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
                            ControllerOptions options, ControllerMetrics metrics,
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
  const ControllerOptions options_;
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
