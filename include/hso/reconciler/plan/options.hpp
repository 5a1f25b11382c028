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
  // A pod with spec.subdomain S gets its FQDN <hostname>.S.<namespace>.svc.<cluster_domain>
  // through the Service S of all such pods (subdomain.hpp), and its own name becomes an
  // ExternalName alias of that FQDN; false keeps a headless per-pod Service for such pods.
  bool subdomain_records = true;
  // With subdomain records, a member whose subdomain's Service is the operator's keeps its bare
  // hostname through a per-pod ExternalName alias; false: no Service per member at all (only its
  // FQDN resolves), so that a subdomain of more pods than the Services a cluster holds gets FQDNs.
  bool subdomain_hostname_aliases = true;
  // The cluster's DNS zone, for the target of those aliases.
  std::string cluster_domain = "cluster.local";
  // Empty: all namespaces. Keys outside these namespaces are ignored, so objects left in a
  // namespace that is no longer watched are not touched.
  std::vector<std::string> namespaces;
};

}  // namespace hso::reconciler::plan
