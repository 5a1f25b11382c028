#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>

// endpoints.kubernetes.io/last-change-trigger-time: the time of the change that caused an
// EndpointSlice's write. CoreDNS reads it from every slice it receives and observes the time from
// it to the moment it can answer the change in
// `coredns_kubernetes_dns_programming_duration_seconds` (service_kind "headless_with_selector"), so
// the operator's DNS programming latency shows up where users already look, with no change to
// CoreDNS.
namespace hso::reconciler::plan {

// Its value is format_rfc3339 of the time: UTC, whole seconds ("2024-05-01T12:00:00Z"), which the
// readers' RFC 3339 parsers take (with or without a fraction).
inline constexpr std::string_view kLastChangeTriggerTimeAnnotation =
    "endpoints.kubernetes.io/last-change-trigger-time";

// The time of the pod's latest change that can move its endpoints, from the pod as the API
// returns it: the latest of its creation, any condition's lastTransitionTime (Ready, and
// PodReadyToStartContainers, which moves when the sandbox and its IP are there) and, for a pod
// being deleted, the time the deletion was asked for (deletionTimestamp minus
// deletionGracePeriodSeconds: the API server sets the timestamp that far ahead). Each of these has
// the API's one-second resolution. kube-controller-manager's EndpointSlice controller takes the
// Ready condition's lastTransitionTime; the operator's slices hold a single pod, so no tracker of
// earlier values is needed to tell which pod changed. `created` is returned when nothing later
// is found.
std::chrono::sys_seconds pod_trigger_time(const nlohmann::json& pod,
                                          std::chrono::sys_seconds created);

// Adds the desired object's trigger time to a merge patch that writes something else anyway.
// A differing trigger time alone is never a reason to write: a restart or a resync over slices
// that match would otherwise rewrite every one of them, and CoreDNS would report the age of
// every pod as latency.
void carry_trigger_time(nlohmann::json& patch, const nlohmann::json& existing,
                        const nlohmann::json& desired);

}  // namespace hso::reconciler::plan
