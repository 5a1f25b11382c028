#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hso/util/mutex.hpp"

namespace hso::http {

// nullopt: healthy. A string: what is wrong.
using CheckResult = std::optional<std::string>;
using HealthCheck = std::function<CheckResult()>;

struct HealthResponse {
  int status = 200;
  std::string body;
};

// A named set of checks behind one endpoint ("healthz" or "readyz"), answering the way
// Kubernetes components do:
//   all pass:  200 "ok" (with ?verbose: "[+]<name> ok" lines, then "<endpoint> check passed")
//   any fail:  500, "[+]<name> ok" / "[-]<name> failed: <reason>" lines, "<endpoint> check failed"
//   /<endpoint>/<name>: that one check, 200 "ok" or 500 "internal server error: <reason>"; 404
//   for an unknown name. ?exclude=<name> skips a check.
// Checks run on the HTTP thread at request time: keep them cheap and non-blocking. A check that
// throws fails with the exception's message.
class HealthChecks {
 public:
  explicit HealthChecks(std::string endpoint_name);

  void add(std::string name, HealthCheck check);

  HealthResponse check_all(bool verbose,
                           const std::set<std::string, std::less<>>& excluded = {}) const;
  HealthResponse check_one(std::string_view name) const;

  const std::string& endpoint_name() const { return endpoint_name_; }

 private:
  struct NamedCheck {
    std::string name;
    HealthCheck check;
  };
  static CheckResult run(const NamedCheck& check);

  std::string endpoint_name_;
  mutable Mutex mutex_;
  std::vector<NamedCheck> checks_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::http
