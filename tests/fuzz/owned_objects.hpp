#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "hso/reconciler/plan/options.hpp"
#include "hso/reconciler/plan/pod_info.hpp"

// What the Service and EndpointSlice harnesses compare an object from the API server with: a pod
// that asks for a Service, and options picked from the input.
namespace hso::fuzz {

inline reconciler::plan::ReconcileOptions options_from(std::string_view input) {
  const std::size_t bits = std::hash<std::string_view>{}(input);
  reconciler::plan::ReconcileOptions options;
  options.publish_not_ready = (bits & 1) != 0;
  options.legacy_endpoints = (bits & 2) != 0;
  options.adopt_legacy = (bits & 4) != 0;
  options.relaxed_service_names = (bits & 16) != 0;
  options.publish_ports = (bits & 32) != 0;
  return options;
}

inline std::shared_ptr<const reconciler::plan::PodInfo> winner_pod(const std::string& name) {
  auto pod = std::make_shared<reconciler::plan::PodInfo>();
  pod->namespace_name = "default";
  pod->name = name;
  pod->uid = "0e4e386f-4920-48b7-847c-d80cfc7e217e";
  pod->created = std::chrono::sys_seconds{std::chrono::seconds{1'700'000'000}};
  pod->wants_service = true;
  pod->node_name = "node-1";
  pod->phase = reconciler::plan::PodPhase::kRunning;
  pod->pod_ips = {"10.244.0.7", "fd00::7"};
  pod->ready = true;
  return pod;
}

}  // namespace hso::fuzz
