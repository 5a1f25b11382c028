#include "hso/reconciler/options.hpp"

namespace hso::reconciler {

ReconcileOptions ReconcileOptions::from(const config::OperatorConfig& config) {
  ReconcileOptions options;
  options.publish_not_ready = config.publish_not_ready;
  options.legacy_endpoints = config.legacy_endpoints;
  options.adopt_legacy = config.adopt_legacy;
  options.relaxed_service_names = config.relaxed_service_names;
  options.publish_ports = config.publish_ports;
  options.namespaces = config.namespaces;
  return options;
}

}  // namespace hso::reconciler
