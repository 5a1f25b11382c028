#include "hso/controller/headless_service_controller.hpp"

#include <spdlog/spdlog.h>

#include "hso/controller/work_outcome.hpp"
#include "hso/kube/request_path.hpp"
#include "hso/reconciler/keys.hpp"
#include "hso/reconciler/ownership.hpp"
#include "hso/util/stop_wait.hpp"

namespace hso::controller {
namespace {

// The key was worked out when the object entered the store (OwnedObject).
void on_any_change(ObjectStore& store, workqueue::WorkQueue& queue) {
  auto enqueue = [&queue](const ObjectStore::Ptr& object) {
    if (object->reconcile_key)
      queue.add(*object->reconcile_key);
  };
  store.on_add([enqueue](const std::string&, const ObjectStore::Ptr& added) { enqueue(added); });
  store.on_update([enqueue](const std::string&, const ObjectStore::Ptr&,
                            const ObjectStore::Ptr& updated) { enqueue(updated); });
  store.on_delete([enqueue](const std::string&, const ObjectStore::Ptr& last) { enqueue(last); });
}

}  // namespace

HeadlessServiceController::HeadlessServiceController(kube::ApiClient& reader,
                                                     kube::ApiClient& writer,
                                                     ControllerOptions options,
                                                     ControllerMetrics metrics,
                                                     std::string instance_id, const Clock& clock)
    : reader_(reader),
      options_(std::move(options)),
      metrics_(metrics),
      clock_(clock),
      queue_(workqueue::WorkQueueOptions{}, clock, &metrics.queue) {
  if (options_.namespaces.empty()) {
    build_scope("");
  } else {
    for (const auto& namespace_name : options_.namespaces)
      build_scope(namespace_name);
  }
  directory_ = std::make_unique<CacheDirectory>(scopes_);
  // Events go out beside the reconciles, not inside them: a new pod's Service and slice are
  // written back to back and its Event follows (as client-go's recorder does).
  events_ = std::make_unique<reconciler::AsyncEventRecorder>(
      std::make_unique<reconciler::ApiEventRecorder>(writer, metrics.reconcile, clock,
                                                     std::move(instance_id)));
  reconciler_ = std::make_unique<reconciler::Reconciler>(
      writer, *directory_, *directory_, *events_, metrics.reconcile, clock, options_.reconcile);
}

HeadlessServiceController::~HeadlessServiceController() {
  stop();
}

void HeadlessServiceController::build_scope(const std::string& namespace_name) {
  auto scope = make_scope_caches(namespace_name, options_.pod_annotation,
                                 options_.reconcile.legacy_endpoints);
  connect_handlers(*scope);

  auto add_reflector = [&](informer::ObjectSink& sink, const kube::ApiResource& resource,
                           std::string_view label_selector) {
    informer::ReflectorOptions options;
    options.resource = std::string(resource.plural);
    options.collection_path = kube::collection_path(resource, namespace_name);
    options.label_selector = std::string(label_selector);
    // Small pages keep the decoded JSON of a page small: with 10,000 pods the peak during the
    // initial list went from 45 MiB (500 per page) to the steady state's 31 MiB, and the list
    // itself got no slower.
    options.page_size = 100;
    options.stream_lists = true;
    informer::ReflectorEnvironment environment;
    environment.metrics = &metrics_.watch;
    environment.clock = &clock_;
    reflectors_.push_back(std::make_unique<informer::Reflector>(reader_, sink, std::move(options),
                                                                std::move(environment)));
  };
  add_reflector(*scope->pods, kube::kPods, options_.pod_selector);
  add_reflector(*scope->services, kube::kServices, reconciler::kOwnedServiceSelector);
  add_reflector(*scope->endpoint_slices, kube::kEndpointSlices,
                reconciler::kOwnedEndpointSliceSelector);
  if (scope->endpoints)
    add_reflector(*scope->endpoints, kube::kEndpoints, reconciler::kOwnedEndpointsSelector);
  scopes_.push_back(std::move(scope));
}

void HeadlessServiceController::connect_handlers(ScopeCaches& scope) {
  // Only pods that ask (or asked) for a Service produce work; status churn of other pods does not.
  auto& queue = queue_;
  scope.pods->on_add([&queue](const std::string&, const PodStore::Ptr& pod) {
    if (reconciler::needs_attention(*pod))
      queue.add(reconciler::key_for_pod(*pod));
  });
  scope.pods->on_update(
      [&queue](const std::string&, const PodStore::Ptr& old_pod, const PodStore::Ptr& new_pod) {
        // Each side under its own key: the Service key follows the projection that asked.
        if (reconciler::needs_attention(*old_pod))
          queue.add(reconciler::key_for_pod(*old_pod));
        if (reconciler::needs_attention(*new_pod))
          queue.add(reconciler::key_for_pod(*new_pod));
      });
  scope.pods->on_delete([&queue](const std::string&, const PodStore::Ptr& pod) {
    if (reconciler::needs_attention(*pod))
      queue.add(reconciler::key_for_pod(*pod));
  });
  on_any_change(*scope.services, queue_);
  on_any_change(*scope.endpoint_slices, queue_);
  if (scope.endpoints)
    on_any_change(*scope.endpoints, queue_);
}

void HeadlessServiceController::start() {
  for (auto& reflector : reflectors_)
    reflector->start();
}

bool HeadlessServiceController::has_synced() const {
  for (const auto& reflector : reflectors_) {
    if (!reflector->has_synced())
      return false;
  }
  return true;
}

std::string HeadlessServiceController::unsynced_reason() const {
  std::string reason;
  for (const auto& reflector : reflectors_) {
    if (reflector->has_synced())
      continue;
    const std::string error = reflector->last_error();
    reason += (reason.empty() ? "" : "; ") + reflector->resource() +
              (error.empty() ? " listing" : ": " + error);
  }
  return reason;
}

bool HeadlessServiceController::wait_for_sync(std::stop_token stop) const {
  for (const auto& reflector : reflectors_) {
    if (!reflector->wait_for_sync(stop))
      return false;
  }
  return true;
}

void HeadlessServiceController::enqueue_all() {
  for (const auto& scope : scopes_) {
    for (const auto& pod : scope->pods->list()) {
      if (reconciler::needs_attention(*pod))
        queue_.add(reconciler::key_for_pod(*pod));
    }
    for (const auto* store : {scope->services.get(), scope->endpoint_slices.get()}) {
      for (const auto& object : store->list()) {
        if (object->reconcile_key)
          queue_.add(*object->reconcile_key);
      }
    }
  }
}

void HeadlessServiceController::start_workers() {
  if (workers_started_.exchange(true))
    return;
  queue_.reopen();
  // Reconciling before every cache has synced would read a partial world: an owned Service whose
  // pod is not listed yet would look orphaned. So the workers start only after the sync.
  starter_ = std::jthread([this](std::stop_token stop) {
    if (!wait_for_sync(stop))
      return;
    enqueue_all();
    {
      MutexLock lock(workers_mutex_);
      if (stop.stop_requested()) {
        return;
      }
      for (int i = 0; i < options_.workers; ++i) {
        workers_.emplace_back([this](std::stop_token worker_stop) { work(worker_stop); });
      }
    }
    spdlog::info("caches synced; {} reconcile workers started", options_.workers);
    // The caches hold only the operator's own Services, so a foreign Service going away is not
    // seen as an event; a periodic pass over every key picks up the pods it blocked. A pass over
    // a world that already matches writes nothing.
    while (sleep_for(options_.resync_period, stop))
      enqueue_all();
  });
}

void HeadlessServiceController::work(std::stop_token stop) {
  while (auto key = queue_.get(stop)) {
    reconciler::ReconcileOutcome outcome;
    try {
      // A write withheld by the leadership gate comes back as kNotLeading, not as an exception.
      outcome = reconciler_->reconcile(*key);
    } catch (const std::exception& error) {
      spdlog::error("reconcile {}: {}", *key, error.what());
      outcome = reconciler::ReconcileOutcome::retry(error.what());
    }
    settle(queue_, *key, outcome);
    queue_.done(*key);
  }
}

bool HeadlessServiceController::drain(std::chrono::milliseconds bound) {
  starter_.request_stop();
  if (starter_.joinable())
    starter_.join();
  MutexLock lock(workers_mutex_);
  bool drained = true;
  if (!workers_.empty()) {
    std::stop_source deadline;
    std::jthread timer([&deadline, bound](std::stop_token cancelled) {
      sleep_for(bound, cancelled);
      deadline.request_stop();
    });
    drained = queue_.shut_down_with_drain(deadline.get_token());
    if (!drained)
      spdlog::warn("reconciles still running after the {} ms drain", bound.count());
  }
  queue_.shut_down();
  return drained;
}

void HeadlessServiceController::join_workers() {
  starter_.request_stop();
  if (starter_.joinable())
    starter_.join();
  queue_.shut_down();
  {
    MutexLock lock(workers_mutex_);
    for (auto& worker : workers_)
      worker.request_stop();
    workers_.clear();  // joins
  }
  workers_started_ = false;
}

void HeadlessServiceController::stop_workers() {
  join_workers();
  spdlog::info("reconcile workers stopped; caches kept");
}

void HeadlessServiceController::stop() {
  join_workers();
  events_->stop();
  for (auto& reflector : reflectors_)
    reflector->stop();
}

std::size_t HeadlessServiceController::pods_watched() const {
  std::size_t total = 0;
  for (const auto& scope : scopes_)
    total += scope->pods->size();
  return total;
}

}  // namespace hso::controller
