#include "hso/reconciler/plan/pod_info.hpp"

#include <arpa/inet.h>

#include <chrono>

#include "hso/reconciler/plan/trigger_time.hpp"
#include "hso/util/json_access.hpp"
#include "hso/util/time_format.hpp"

namespace hso::reconciler::plan {
namespace {

constexpr std::size_t kMaxHostnameLength = 63;

PodPhase parse_phase(std::string_view phase) {
  if (phase == "Pending")
    return PodPhase::kPending;
  if (phase == "Running")
    return PodPhase::kRunning;
  if (phase == "Succeeded")
    return PodPhase::kSucceeded;
  if (phase == "Failed")
    return PodPhase::kFailed;
  return PodPhase::kUnknown;
}

bool ready_condition(const nlohmann::json& status) {
  const nlohmann::json& conditions = json_child(status, "conditions");
  if (!conditions.is_array())
    return false;
  for (const auto& condition : conditions) {
    if (json_string_at(condition, "type") == "Ready")
      return json_string_at(condition, "status") == "True";
  }
  return false;
}

// The textual form must be one the API server accepts; anything else would make every write of
// the pod's slices fail (422), the other family's included.
bool is_ip_address(const std::string& text, AddressFamily family) {
  unsigned char buffer[16];
  return inet_pton(family == AddressFamily::kIPv4 ? AF_INET : AF_INET6, text.c_str(), buffer) == 1;
}

// status.podIPs (status.podIP when podIPs is absent): at most one address per family, as the API
// server guarantees; an entry that is not an IP address, or a second of a family, is left out.
std::vector<std::string> pod_ips(const nlohmann::json& status) {
  std::vector<std::string> candidates;
  if (const nlohmann::json& list = json_child(status, "podIPs"); list.is_array()) {
    for (const auto& entry : list)
      candidates.push_back(json_string_at(entry, "ip"));
  }
  if (candidates.empty())
    candidates.push_back(json_string_at(status, "podIP"));
  std::vector<std::string> ips;
  bool seen[2] = {false, false};
  for (std::string& ip : candidates) {
    const AddressFamily family = address_family(ip);
    bool& family_seen = seen[family == AddressFamily::kIPv4 ? 0 : 1];
    if (family_seen || !is_ip_address(ip, family))
      continue;
    family_seen = true;
    ips.push_back(std::move(ip));
  }
  return ips;
}

}  // namespace

std::optional<PodInfo> project_pod(const nlohmann::json& pod, std::string_view annotation_key) {
  const nlohmann::json& metadata = json_child(pod, "metadata");
  if (!metadata.is_object())
    return std::nullopt;
  PodInfo info;
  info.namespace_name = json_string_at(metadata, "namespace");
  info.name = json_string_at(metadata, "name");
  info.uid = json_string_at(metadata, "uid");
  if (info.namespace_name.empty() || info.name.empty() || info.uid.empty())
    return std::nullopt;
  const auto created = parse_rfc3339(json_string_at(metadata, "creationTimestamp"));
  if (!created)
    return std::nullopt;
  info.created = std::chrono::floor<std::chrono::seconds>(*created);
  if (const nlohmann::json& annotations = json_child(metadata, "annotations");
      annotations.is_object()) {
    const auto it = annotations.find(annotation_key);
    if (it != annotations.end() && it->is_string()) {
      info.wants_service = *it == "true";
      if (!info.wants_service && *it != "false")
        info.unread_annotation = it->get<std::string>();
    }
  }
  info.spec_hostname = json_string_at(json_child(pod, "spec"), "hostname");
  info.spec_subdomain = json_string_at(json_child(pod, "spec"), "subdomain");
  if (!info.wants_service) {
    // A pod that does not ask for a Service is only a key to the operator until it does (and
    // the update that adds the annotation brings everything). Keeping nothing else makes the
    // many such pods cheap, and their status churn compares equal: no update, no work. One whose
    // annotation cannot be read keeps its uid, which the Warning Event telling it so needs.
    if (info.unread_annotation.empty())
      info.uid.clear();
    return info;
  }
  info.terminating = !json_child(metadata, "deletionTimestamp").is_null();
  info.node_name = json_string_at(json_child(pod, "spec"), "nodeName");
  const nlohmann::json& status = json_child(pod, "status");
  info.phase = parse_phase(json_string_at(status, "phase"));
  info.pod_ips = pod_ips(status);
  info.ready = ready_condition(status);
  info.last_change = pod_trigger_time(pod, info.created);
  info.named_ports = named_container_ports(pod);
  return info;
}

std::string effective_hostname(std::string_view pod_name, std::string_view spec_hostname) {
  std::string_view hostname = spec_hostname.empty() ? pod_name : spec_hostname;
  if (hostname.size() > kMaxHostnameLength) {
    hostname = hostname.substr(0, kMaxHostnameLength);
    while (!hostname.empty() && (hostname.back() == '-' || hostname.back() == '.')) {
      hostname.remove_suffix(1);
    }
  }
  return std::string(hostname);
}

std::string effective_hostname(const PodInfo& pod) {
  return effective_hostname(pod.name, pod.spec_hostname);
}

bool needs_attention(const PodInfo& pod) {
  return pod.wants_service || !pod.unread_annotation.empty();
}

bool publishes_addresses(const PodInfo& pod) {
  return !pod.pod_ips.empty() && pod.phase != PodPhase::kSucceeded &&
         pod.phase != PodPhase::kFailed;
}

AddressFamily address_family(std::string_view ip) {
  return ip.find(':') == std::string_view::npos ? AddressFamily::kIPv4 : AddressFamily::kIPv6;
}

}  // namespace hso::reconciler::plan
