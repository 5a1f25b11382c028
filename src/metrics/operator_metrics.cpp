#include "hso/metrics/operator_metrics.hpp"

#include <memory>
#include <string>

#include "hso/build_info.hpp"
#include "hso/metrics/process_collector.hpp"

namespace hso::metrics {
namespace {

std::string prefixed(std::string_view name) {
  return std::string(kMetricPrefix) + std::string(name);
}

prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& registry,
                                                        std::string_view name,
                                                        const std::string& help) {
  return prometheus::BuildCounter().Name(prefixed(name)).Help(help).Register(registry);
}

prometheus::Family<prometheus::Gauge>& gauge_family(prometheus::Registry& registry,
                                                    std::string_view name,
                                                    const std::string& help) {
  return prometheus::BuildGauge().Name(prefixed(name)).Help(help).Register(registry);
}

prometheus::Family<prometheus::Histogram>& histogram_family(prometheus::Registry& registry,
                                                            std::string_view name,
                                                            const std::string& help) {
  return prometheus::BuildHistogram().Name(prefixed(name)).Help(help).Register(registry);
}

// 1 ms .. ~65 s, doubling: reconciles and API requests.
prometheus::Histogram::BucketBoundaries request_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

// 1 us .. 10 min: time in queue spans retries with backoff.
prometheus::Histogram::BucketBoundaries queue_buckets() {
  return {1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 60, 600};
}

double seconds(Seconds duration) {
  return duration.count();
}

}  // namespace

const char* label_value(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kService:
      return "services";
    case ObjectKind::kEndpointSlice:
      return "endpointslices";
    case ObjectKind::kEndpoints:
      return "endpoints";
    case ObjectKind::kEvent:
      return "events";
  }
  return "unknown";
}

const char* label_value(WriteAction action) {
  switch (action) {
    case WriteAction::kCreate:
      return "create";
    case WriteAction::kUpdate:
      return "update";
    case WriteAction::kDelete:
      return "delete";
  }
  return "unknown";
}

const char* label_value(ReconcileResult result) {
  switch (result) {
    case ReconcileResult::kSuccess:
      return "success";
    case ReconcileResult::kError:
      return "error";
    case ReconcileResult::kRequeue:
      return "requeue";
  }
  return "unknown";
}

const char* label_value(SkipReason reason) {
  switch (reason) {
    case SkipReason::kInvalidName:
      return "invalid_name";
    case SkipReason::kCollision:
      return "collision";
    case SkipReason::kForeignService:
      return "foreign_service";
    case SkipReason::kAnnotationValue:
      return "annotation_value";
  }
  return "unknown";
}

PrometheusReconcileMetrics::PrometheusReconcileMetrics(prometheus::Registry& registry)
    : object_writes_(counter_family(registry, "object_writes_total",
                                    "Objects written to the API server, by resource and action.")),
      reconciles_(counter_family(registry, "reconciles_total", "Reconciles finished, by result.")),
      reconcile_errors_(
          counter_family(registry, "reconcile_errors_total", "Reconciles that ended in an error.")
              .Add({})),
      reconcile_duration_(histogram_family(registry, "reconcile_duration_seconds",
                                           "Time one reconcile of one Service key took.")
                              .Add({}, request_buckets())),
      pods_watched_(gauge_family(registry, "pods_watched",
                                 "Pods in the informer cache: those that ask for a Service "
                                 "(matching the watch selectors).")
                        .Add({})),
      pods_managed_(gauge_family(registry, "pods_managed",
                                 "Annotated pods that have a headless Service managed for them.")
                        .Add({})),
      pods_skipped_(gauge_family(registry, "pods_skipped",
                                 "Annotated pods that get no Service, by reason.")) {
  // Every series exists from the start, so rate() and absence alerts behave.
  for (auto kind : {ObjectKind::kService, ObjectKind::kEndpointSlice, ObjectKind::kEndpoints,
                    ObjectKind::kEvent}) {
    for (auto action : {WriteAction::kCreate, WriteAction::kUpdate, WriteAction::kDelete}) {
      object_writes_.Add({{"resource", label_value(kind)}, {"action", label_value(action)}});
    }
  }
  for (auto result :
       {ReconcileResult::kSuccess, ReconcileResult::kError, ReconcileResult::kRequeue}) {
    reconciles_.Add({{"result", label_value(result)}});
  }
  for (auto reason : {SkipReason::kInvalidName, SkipReason::kCollision, SkipReason::kForeignService,
                      SkipReason::kAnnotationValue}) {
    pods_skipped_.Add({{"reason", label_value(reason)}});
  }
}

void PrometheusReconcileMetrics::object_written(ObjectKind kind, WriteAction action) {
  object_writes_.Add({{"resource", label_value(kind)}, {"action", label_value(action)}})
      .Increment();
}

void PrometheusReconcileMetrics::reconcile_finished(ReconcileResult result, Seconds duration) {
  reconciles_.Add({{"result", label_value(result)}}).Increment();
  if (result == ReconcileResult::kError) {
    reconcile_errors_.Increment();
  }
  reconcile_duration_.Observe(seconds(duration));
}

void PrometheusReconcileMetrics::set_pods_watched(std::size_t count) {
  pods_watched_.Set(static_cast<double>(count));
}

void PrometheusReconcileMetrics::set_pods_managed(std::size_t count) {
  pods_managed_.Set(static_cast<double>(count));
}

void PrometheusReconcileMetrics::set_pods_skipped(SkipReason reason, std::size_t count) {
  pods_skipped_.Add({{"reason", label_value(reason)}}).Set(static_cast<double>(count));
}

PrometheusQueueMetrics::PrometheusQueueMetrics(prometheus::Registry& registry)
    : depth_(gauge_family(registry, "workqueue_depth", "Keys waiting in the work queue.").Add({})),
      adds_(counter_family(registry, "workqueue_adds_total", "Keys added to the work queue.")
                .Add({})),
      retries_(counter_family(registry, "workqueue_retries_total",
                              "Keys re-added with rate-limited backoff after a failure.")
                   .Add({})),
      queue_duration_(histogram_family(registry, "workqueue_queue_duration_seconds",
                                       "Time a key waited in the queue before a worker took it.")
                          .Add({}, queue_buckets())),
      work_duration_(histogram_family(registry, "workqueue_work_duration_seconds",
                                      "Time a worker spent processing one key.")
                         .Add({}, queue_buckets())),
      longest_running_(
          gauge_family(registry, "workqueue_longest_running_processor_seconds",
                       "How long the longest-running worker has been processing its current key.")
              .Add({})),
      unfinished_work_(gauge_family(registry, "workqueue_unfinished_work_seconds",
                                    "Sum of the time all in-progress keys have been processing.")
                           .Add({})) {}

void PrometheusQueueMetrics::added() {
  adds_.Increment();
}
void PrometheusQueueMetrics::set_depth(std::size_t depth) {
  depth_.Set(static_cast<double>(depth));
}
void PrometheusQueueMetrics::retried() {
  retries_.Increment();
}
void PrometheusQueueMetrics::waited(Seconds duration) {
  queue_duration_.Observe(seconds(duration));
}
void PrometheusQueueMetrics::worked(Seconds duration) {
  work_duration_.Observe(seconds(duration));
}
void PrometheusQueueMetrics::set_longest_running(Seconds duration) {
  longest_running_.Set(seconds(duration));
}
void PrometheusQueueMetrics::set_unfinished_work(Seconds duration) {
  unfinished_work_.Set(seconds(duration));
}

PrometheusWatchMetrics::PrometheusWatchMetrics(prometheus::Registry& registry)
    : restarts_(counter_family(registry, "watch_restarts_total",
                               "Watches re-established after ending or failing, by resource.")),
      relists_(counter_family(registry, "relists_total",
                              "Full lists after a watch could not resume (e.g. 410 Gone), by "
                              "resource.")),
      events_(counter_family(registry, "watch_events_total",
                             "Watch events received, by resource and type.")) {}

void PrometheusWatchMetrics::watch_restarted(std::string_view resource) {
  restarts_.Add({{"resource", std::string(resource)}}).Increment();
}

void PrometheusWatchMetrics::relisted(std::string_view resource) {
  relists_.Add({{"resource", std::string(resource)}}).Increment();
}

void PrometheusWatchMetrics::event_received(std::string_view resource, std::string_view type) {
  events_.Add({{"resource", std::string(resource)}, {"type", std::string(type)}}).Increment();
}

PrometheusLeaderMetrics::PrometheusLeaderMetrics(prometheus::Registry& registry,
                                                 const std::string& lease_name)
    : master_status_(prometheus::BuildGauge()
                         .Name("leader_election_master_status")
                         .Help("1 while this replica holds the leader Lease, else 0.")
                         .Register(registry)
                         .Add({{"name", lease_name}})),
      transitions_(counter_family(registry, "leader_transitions_total",
                                  "Times this replica saw the Lease go to a new holder.")
                       .Add({})),
      renew_failures_(counter_family(registry, "lease_renew_failures_total",
                                     "Failed attempts to renew the Lease while leading.")
                          .Add({})) {}

void PrometheusLeaderMetrics::set_leader(bool leading) {
  master_status_.Set(leading ? 1 : 0);
}
void PrometheusLeaderMetrics::transitioned() {
  transitions_.Increment();
}
void PrometheusLeaderMetrics::renew_failed() {
  renew_failures_.Increment();
}

ApiRequestMetrics::ApiRequestMetrics(prometheus::Registry& registry)
    : requests_(counter_family(registry, "api_requests_total",
                               "Requests to the Kubernetes API, by verb, resource and HTTP code "
                               "(\"error\" when no answer came).")),
      latency_(histogram_family(registry, "api_request_duration_seconds",
                                "Latency of Kubernetes API requests, by verb and resource "
                                "(watches: until the stream is established or fails).")) {}

void ApiRequestMetrics::on_request(std::string_view verb, std::string_view resource, int code,
                                   std::chrono::duration<double> latency) {
  const std::string verb_label(verb);
  const std::string resource_label(resource);
  requests_
      .Add({{"verb", verb_label},
            {"resource", resource_label},
            {"code", code == 0 ? std::string("error") : std::to_string(code)}})
      .Increment();
  latency_.Add({{"verb", verb_label}, {"resource", resource_label}}, request_buckets())
      .Observe(latency.count());
}

OperatorMetrics::OperatorMetrics(const std::string& lease_name)
    : reconcile_(registry_.registry()),
      queue_(registry_.registry()),
      watch_(registry_.registry()),
      leader_(registry_.registry(), lease_name),
      api_requests_(registry_.registry()) {
  gauge_family(registry_.registry(), "build_info",
               "Always 1; the labels tell the operator's version and git commit.")
      .Add({{"version", build_info::kVersion}, {"commit", build_info::kGitCommit}})
      .Set(1);
  registry_.add_collectable(std::make_shared<ProcessCollector>());
}

}  // namespace hso::metrics
