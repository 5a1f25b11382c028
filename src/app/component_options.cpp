#include "hso/app/component_options.hpp"

namespace hso::app {

reconciler::plan::ReconcileOptions reconcile_options(const config::OperatorConfig& config) {
  return {.publish_not_ready = config.publish_not_ready,
          .legacy_endpoints = config.legacy_endpoints,
          .adopt_legacy = config.adopt_legacy,
          .relaxed_service_names = config.relaxed_service_names,
          .publish_ports = config.publish_ports,
          .subdomain_records = config.subdomain_records,
          .subdomain_hostname_aliases = config.subdomain_hostname_aliases,
          .cluster_domain = config.cluster_domain,
          .namespaces = config.namespaces};
}

runtime::WorkerOptions worker_options(const config::OperatorConfig& config) {
  runtime::WorkerOptions options;
  options.workers = config.workers;
  options.resync_period = config.resync_period;
  return options;
}

controller::ControllerOptions controller_options(const config::OperatorConfig& config) {
  return {.namespaces = config.namespaces,
          .pod_annotation = config.pod_annotation,
          .pod_selector = config.pod_selector,
          .namespace_selector = config.namespace_selector,
          .worker_options = worker_options(config),
          .reconcile = reconcile_options(config)};
}

}  // namespace hso::app
