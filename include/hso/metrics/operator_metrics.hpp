#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <string>
#include <string_view>

#include "hso/kube/api_client.hpp"
#include "hso/metrics/metrics_registry.hpp"
#include "hso/metrics/sinks.hpp"

namespace hso::metrics {

// Prefix of every operator-specific metric (the process_* and leader_election_master_status
// families keep their conventional names).
inline constexpr std::string_view kMetricPrefix = "headless_service_operator_";

const char* label_value(ObjectKind kind);
const char* label_value(WriteAction action);
const char* label_value(ReconcileResult result);
const char* label_value(SkipReason reason);

class PrometheusReconcileMetrics final : public ReconcileMetrics {
 public:
  explicit PrometheusReconcileMetrics(prometheus::Registry& registry);
  void object_written(ObjectKind kind, WriteAction action) override;
  void reconcile_finished(ReconcileResult result, Seconds duration) override;
  void set_pods_watched(std::size_t count) override;
  void set_pods_managed(std::size_t count) override;
  void set_pods_skipped(SkipReason reason, std::size_t count) override;

 private:
  prometheus::Family<prometheus::Counter>& object_writes_;
  prometheus::Family<prometheus::Counter>& reconciles_;
  prometheus::Counter& reconcile_errors_;
  prometheus::Histogram& reconcile_duration_;
  prometheus::Gauge& pods_watched_;
  prometheus::Gauge& pods_managed_;
  prometheus::Family<prometheus::Gauge>& pods_skipped_;
};

class PrometheusQueueMetrics final : public QueueMetrics {
 public:
  explicit PrometheusQueueMetrics(prometheus::Registry& registry);
  void added() override;
  void set_depth(std::size_t depth) override;
  void retried() override;
  void waited(Seconds duration) override;
  void worked(Seconds duration) override;
  void set_longest_running(Seconds duration) override;
  void set_unfinished_work(Seconds duration) override;

 private:
  prometheus::Gauge& depth_;
  prometheus::Counter& adds_;
  prometheus::Counter& retries_;
  prometheus::Histogram& queue_duration_;
  prometheus::Histogram& work_duration_;
  prometheus::Gauge& longest_running_;
  prometheus::Gauge& unfinished_work_;
};

class PrometheusWatchMetrics final : public WatchMetrics {
 public:
  explicit PrometheusWatchMetrics(prometheus::Registry& registry);
  void watch_restarted(std::string_view resource) override;
  void relisted(std::string_view resource) override;
  void event_received(std::string_view resource, std::string_view type) override;

 private:
  prometheus::Family<prometheus::Counter>& restarts_;
  prometheus::Family<prometheus::Counter>& relists_;
  prometheus::Family<prometheus::Counter>& events_;
};

class PrometheusLeaderMetrics final : public LeaderMetrics {
 public:
  // `lease_name` is the name label of leader_election_master_status.
  PrometheusLeaderMetrics(prometheus::Registry& registry, const std::string& lease_name);
  void set_leader(bool leading) override;
  void transitioned() override;
  void renew_failed() override;

 private:
  prometheus::Gauge& master_status_;
  prometheus::Counter& transitions_;
  prometheus::Counter& renew_failures_;
};

// API requests by verb, resource and HTTP code (0, no answer, is labelled "error").
class ApiRequestMetrics final : public kube::RequestObserver {
 public:
  explicit ApiRequestMetrics(prometheus::Registry& registry);
  void on_request(std::string_view verb, std::string_view resource, int code,
                  std::chrono::duration<double> latency) override;

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

// Everything the operator exports, in one registry: the sinks the components take, the
// build-info gauge and the process_* collector.
class OperatorMetrics {
 public:
  explicit OperatorMetrics(const std::string& lease_name);

  MetricsRegistry& registry() { return registry_; }
  ReconcileMetrics& reconcile() { return reconcile_; }
  QueueMetrics& queue() { return queue_; }
  WatchMetrics& watch() { return watch_; }
  LeaderMetrics& leader() { return leader_; }
  kube::RequestObserver& api_requests() { return api_requests_; }

 private:
  MetricsRegistry registry_;
  PrometheusReconcileMetrics reconcile_;
  PrometheusQueueMetrics queue_;
  PrometheusWatchMetrics watch_;
  PrometheusLeaderMetrics leader_;
  ApiRequestMetrics api_requests_;
};

}  // namespace hso::metrics
