#include "hso/config/operator_config.hpp"

#include <sstream>

#include "hso/config/duration.hpp"

namespace hso::config {
namespace {

std::string joined(const std::vector<std::string>& items, const std::string& when_empty) {
  if (items.empty())
    return when_empty;
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : ",") + item;
  return text;
}

std::string or_none(const std::string& value) {
  return value.empty() ? "none" : value;
}

}  // namespace

std::string describe(const OperatorConfig& config) {
  std::ostringstream line;
  line << std::boolalpha << "namespace=" << joined(config.namespaces, "all")
       << " pod-annotation=" << config.pod_annotation
       << " pod-selector=" << or_none(config.pod_selector)
       << " namespace-selector=" << or_none(config.namespace_selector)
       << " workers=" << config.workers << " kube-api-qps=" << config.kube_api_qps;
  if (config.kube_api_qps > 0)
    line << " kube-api-burst=" << config.kube_api_burst;
  line << " publish-not-ready=" << config.publish_not_ready
       << " legacy-endpoints=" << config.legacy_endpoints << " adopt-legacy=" << config.adopt_legacy
       << " relaxed-service-names=" << config.relaxed_service_names
       << " publish-ports=" << config.publish_ports
       << " subdomain-records=" << config.subdomain_records
       << " subdomain-hostname-aliases=" << config.subdomain_hostname_aliases
       << " cluster-domain=" << config.cluster_domain
       << " resync-period=" << format_duration(config.resync_period)
       << " leader-elect=" << config.leader_elect;
  if (config.leader_elect) {
    line << " leader-election-id=" << config.leader_election_id
         << " lease-duration=" << format_duration(config.lease_duration)
         << " renew-deadline=" << format_duration(config.renew_deadline)
         << " retry-period=" << format_duration(config.retry_period);
  }
  line << " graceful-shutdown-timeout=" << format_duration(config.graceful_shutdown_timeout)
       << " metrics-bind-address=" << config.metrics_bind_address
       << " metrics-secure=" << config.metrics_secure
       << " health-probe-bind-address=" << config.health_probe_bind_address
       << " log-level=" << config.log_level << " log-format=" << config.log_format;
  return line.str();
}

}  // namespace hso::config
