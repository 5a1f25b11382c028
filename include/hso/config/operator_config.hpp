#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hso::config {

// Everything the `run` command can be told, after parsing and validation.
struct OperatorConfig {
  // What to watch.
  std::vector<std::string> namespaces;  // empty: all namespaces
  std::string pod_annotation = "srcd.host/create-headless-service";
  std::string pod_selector;  // label selector, applied server-side
  // A label selector over Namespaces (util/label_selector.hpp), checked at parse time: only pods
  // in matching namespaces get Services. Empty: every namespace. Needs `namespaces` empty.
  std::string namespace_selector;

  // How to reach the API server.
  std::string kubeconfig;  // --kubeconfig; empty: KUBECONFIG, in-cluster, ~/.kube/config
  std::string context;     // --context / KUBERNETES_CONTEXT
  // No client-side limit by default: the API server's Priority and Fairness paces the operator
  // (429 + Retry-After, honoured by every request of the client at once). A job's burst of pods
  // then gets its names as fast as the server takes the writes.
  double kube_api_qps = 0.0;
  int kube_api_burst = 30;

  // What the operator writes.
  int workers = 4;
  bool publish_not_ready = true;
  bool legacy_endpoints = false;
  bool adopt_legacy = true;
  // Accept Service names that are DNS-1123 labels (a leading digit, as pod names may have) and let
  // the API server decide: for clusters with RelaxedServiceNameValidation (KEP-5311).
  bool relaxed_service_names = false;
  // The pods' named container ports become the ports of their Services and slices (SRV records).
  bool publish_ports = true;
  // Pods with spec.subdomain get their FQDN, forward and reverse, through the subdomain's Service.
  bool subdomain_records = true;
  // Their bare hostnames too, through a per-pod ExternalName alias (false: no Service per member).
  bool subdomain_hostname_aliases = true;
  std::string cluster_domain = "cluster.local";  // the zone of those FQDNs
  // A pass over every key this often: a foreign Service going away is not an event the caches see.
  std::chrono::milliseconds resync_period{600'000};

  // High availability.
  bool leader_elect = true;
  std::string leader_election_id = "k8s-pod-headless-service-operator";
  std::string leader_election_namespace;  // empty: service-account namespace or POD_NAMESPACE
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  std::chrono::milliseconds graceful_shutdown_timeout{30'000};

  // Observability.
  std::string metrics_bind_address = ":8080";  // "0" turns it off
  std::string health_probe_bind_address = ":8081";
  bool metrics_secure = false;
  std::string metrics_cert_file;
  std::string metrics_key_file;
  std::string log_level = "info";
  std::string log_format = "text";

  bool operator==(const OperatorConfig&) const = default;
};

// The whole configuration on one line (key=value, the flags' names), for the start-up log: what a
// replica runs with is then one grep away.
std::string describe(const OperatorConfig& config);

}  // namespace hso::config
