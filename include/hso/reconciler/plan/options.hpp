#pragma once

#include <string>
#include <vector>

namespace hso::reconciler::plan {

// The part of the configuration that shapes what the reconciler writes. app/ fills it in from
// the command line (app/component_options.hpp); the reconciler never sees the command line.
struct ReconcileOptions {
  bool publish_not_ready = true;
  bool legacy_endpoints = false;
  bool adopt_legacy = true;
  // Accept DNS-1123 labels (a leading digit) as Service names and let the API server decide,
  // for clusters with RelaxedServiceNameValidation.
  bool relaxed_service_names = false;
  // The pod's named container ports become the ports of its Service and slices (SRV records);
  // false keeps the original operator's portless Services.
  bool publish_ports = true;
  // Empty: all namespaces. Keys outside these namespaces are ignored, so objects left in a
  // namespace that is no longer watched are not touched.
  std::vector<std::string> namespaces;
};

}  // namespace hso::reconciler::plan
