#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hso/kube/api_client.hpp"
#include "hso/util/mutex.hpp"

namespace hso::app {

// Watches every API answer for 403 Forbidden, so that missing RBAC is loud: a warning naming the
// verb and resource when a permission is first denied, and `denied()` for the readiness check
// until a later request with that verb on that resource succeeds. Forwards to `next` (metrics).
class PermissionMonitor final : public kube::RequestObserver {
 public:
  explicit PermissionMonitor(kube::RequestObserver& next) : next_(next) {}

  void on_request(std::string_view verb, std::string_view resource, int code,
                  std::chrono::duration<double> latency) override;

  // "create endpointslices", … for every verb and resource whose last answer was 403.
  std::vector<std::string> denied() const;

 private:
  kube::RequestObserver& next_;
  mutable Mutex mutex_;
  std::map<std::pair<std::string, std::string>, bool, std::less<>> forbidden_
      HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::app
