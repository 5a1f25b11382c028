#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hso/reconciler/plan/named_ports.hpp"

namespace hso::reconciler::plan {

enum class PodPhase { kPending, kRunning, kSucceeded, kFailed, kUnknown };

// What the operator keeps of a pod: only the fields it needs. The annotation is reduced to one
// bool at projection time so the annotation map is not held in memory. Of a pod that does not ask
// for a Service only namespace, name, creation time, spec.hostname and spec.subdomain are kept (the
// rest stays empty), so that most pods of a big cluster cost little and their status changes are no
// updates.
struct PodInfo {
  // Members by size, largest first: no padding between them (16 bytes less per kept pod).
  std::string namespace_name;
  std::string name;
  std::string uid;
  // The annotation's value when it is neither "true", "false" nor empty ("True", "yes", " true"):
  // such a pod gets a Warning Event saying what to write, and no Service. Empty otherwise.
  std::string unread_annotation;
  std::string spec_hostname;   // empty when not set
  std::string spec_subdomain;  // empty when not set; kept, like spec_hostname, for every pod
  std::string node_name;
  // status.podIPs (status.podIP when podIPs is absent): valid addresses, at most one per family.
  std::vector<std::string> pod_ips;
  // The named container ports (named_ports.hpp), sorted by name; empty for most pods.
  std::vector<NamedPort> named_ports;
  std::chrono::sys_seconds created{};
  // When the pod last changed in a way that can move its endpoints (pod_trigger_time in
  // trigger_time.hpp): written on its slices as endpoints.kubernetes.io/last-change-trigger-time.
  // Zero (the epoch) when unknown, and for pods that do not ask for a Service.
  std::chrono::sys_seconds last_change{};
  PodPhase phase = PodPhase::kUnknown;
  bool wants_service = false;  // the configured annotation is exactly "true"
  bool terminating = false;    // metadata.deletionTimestamp is set
  bool ready = false;          // the Ready condition is "True"

  friend bool operator==(const PodInfo&, const PodInfo&) = default;
};

// Builds the projection from a pod as the API returns it; nullopt when a field the operator
// relies on (namespace, name, uid, creationTimestamp) is missing or malformed, whether or not the
// pod asks for a Service.
std::optional<PodInfo> project_pod(const nlohmann::json& pod, std::string_view annotation_key);

// The hostname kubelet gives the pod: spec.hostname if set, else the pod name; over 63
// characters it is cut to 63 and trailing '-' and '.' are trimmed.
std::string effective_hostname(std::string_view pod_name, std::string_view spec_hostname);
std::string effective_hostname(const PodInfo& pod);

// The pod asks for a Service, or asks in a way the operator cannot read (and must say so): the
// pods the operator keeps and reconciles.
bool needs_attention(const PodInfo& pod);

// A pod publishes addresses only while it has an IP and has not finished: a finished pod's IP may
// already belong to another pod.
bool publishes_addresses(const PodInfo& pod);

enum class AddressFamily { kIPv4, kIPv6 };
AddressFamily address_family(std::string_view ip);

}  // namespace hso::reconciler::plan
