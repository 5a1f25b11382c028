#include "hso/app/permission_monitor.hpp"

#include <spdlog/spdlog.h>

namespace hso::app {

void PermissionMonitor::on_request(std::string_view verb, std::string_view resource, int code,
                                   std::chrono::duration<double> latency) {
  next_.on_request(verb, resource, code, latency);
  if (code == 0)
    return;  // no answer says nothing about permissions
  const bool forbidden = code == 403;
  bool newly_denied = false;
  {
    MutexLock lock(mutex_);
    auto key = std::make_pair(std::string(verb), std::string(resource));
    auto it = forbidden_.find(key);
    if (it == forbidden_.end()) {
      if (!forbidden)
        return;
      it = forbidden_.emplace(std::move(key), false).first;
    }
    newly_denied = forbidden && !it->second;
    it->second = forbidden;
  }
  if (newly_denied) {
    spdlog::error(
        "the API server forbids '{}' on '{}' (403): grant it in the operator's RBAC rules; not "
        "ready until it succeeds",
        verb, resource);
  }
}

std::vector<std::string> PermissionMonitor::denied() const {
  MutexLock lock(mutex_);
  std::vector<std::string> result;
  for (const auto& [key, forbidden] : forbidden_) {
    if (forbidden)
      result.push_back(key.first + " " + key.second);
  }
  return result;
}

}  // namespace hso::app
