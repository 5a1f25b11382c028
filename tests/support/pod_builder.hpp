#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hso/reconciler/plan/pod_info.hpp"
#include "hso/util/time_format.hpp"

namespace hso::test {

// The one place tests build pods: as the reconciler sees them (info(), a PodInfo) or as the API
// server serves them (served(), the JSON object). Only what a test sets is there: a bare
// PodBuilder("web-0") is a pod named web-0 in namespace "ns" and nothing else.
class PodBuilder {
 public:
  explicit PodBuilder(std::string name = "web-0") { info_.name = std::move(name); }

  PodBuilder& in(std::string namespace_name) {
    info_.namespace_name = std::move(namespace_name);
    return *this;
  }
  PodBuilder& uid(std::string uid) {
    info_.uid = std::move(uid);
    return *this;
  }
  PodBuilder& created(std::chrono::sys_seconds when) {
    info_.created = when;
    return *this;
  }
  PodBuilder& hostname(std::string hostname) {
    info_.spec_hostname = std::move(hostname);
    return *this;
  }
  PodBuilder& subdomain(std::string subdomain) {
    info_.spec_subdomain = std::move(subdomain);
    return *this;
  }
  // The pod asks for a Service: wants_service, and served() carries `annotation`="true".
  PodBuilder& asking(std::string annotation = "srcd.host/create-headless-service") {
    return annotated(std::move(annotation), "true");
  }
  // served() carries `annotation`=`value`; info() wants a Service when the value is "true".
  PodBuilder& annotated(std::string annotation, std::string value) {
    info_.wants_service = value == "true";
    annotations_[std::move(annotation)] = std::move(value);
    return *this;
  }
  // Phase Running with these addresses; on `node` when it is not empty.
  PodBuilder& running(std::vector<std::string> ips, std::string node = {}) {
    info_.phase = reconciler::plan::PodPhase::kRunning;
    info_.pod_ips = std::move(ips);
    info_.node_name = std::move(node);
    return *this;
  }
  PodBuilder& ready() {
    info_.ready = true;
    return *this;
  }

  reconciler::plan::PodInfo info() const {
    reconciler::plan::PodInfo info = info_;
    if (info.namespace_name.empty())
      info.namespace_name = "ns";
    return info;
  }
  std::shared_ptr<const reconciler::plan::PodInfo> shared() const {
    return std::make_shared<const reconciler::plan::PodInfo>(info());
  }
  // The served object; creationTimestamp only when created() was given one.
  nlohmann::json served() const;

 private:
  reconciler::plan::PodInfo info_;
  std::map<std::string, std::string> annotations_;
};

inline nlohmann::json PodBuilder::served() const {
  const reconciler::plan::PodInfo pod = info();
  nlohmann::json metadata = {{"name", pod.name}, {"namespace", pod.namespace_name}};
  if (!pod.uid.empty())
    metadata["uid"] = pod.uid;
  if (pod.created != std::chrono::sys_seconds{})
    metadata["creationTimestamp"] = format_rfc3339(pod.created);
  if (!annotations_.empty())
    metadata["annotations"] = annotations_;
  nlohmann::json object = {{"metadata", metadata}};
  if (!pod.spec_hostname.empty())
    object["spec"]["hostname"] = pod.spec_hostname;
  if (!pod.spec_subdomain.empty())
    object["spec"]["subdomain"] = pod.spec_subdomain;
  if (!pod.node_name.empty())
    object["spec"]["nodeName"] = pod.node_name;
  if (pod.phase == reconciler::plan::PodPhase::kRunning) {
    object["status"]["phase"] = "Running";
    nlohmann::json ips = nlohmann::json::array();
    for (const auto& ip : pod.pod_ips)
      ips.push_back({{"ip", ip}});
    if (!pod.pod_ips.empty())
      object["status"]["podIP"] = pod.pod_ips.front();
    object["status"]["podIPs"] = ips;
  }
  if (pod.ready)
    object["status"]["conditions"] = {{{"type", "Ready"}, {"status", "True"}}};
  return object;
}

}  // namespace hso::test
