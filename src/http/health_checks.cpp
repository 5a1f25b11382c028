#include "hso/http/health_checks.hpp"

#include <exception>
#include <utility>

namespace hso::http {

HealthChecks::HealthChecks(std::string endpoint_name) : endpoint_name_(std::move(endpoint_name)) {}

void HealthChecks::add(std::string name, HealthCheck check) {
  MutexLock lock(mutex_);
  checks_.push_back({std::move(name), std::move(check)});
}

CheckResult HealthChecks::run(const NamedCheck& check) {
  try {
    return check.check();
  } catch (const std::exception& error) {
    return std::string(error.what());
  } catch (...) {
    return std::string("unknown error");
  }
}

HealthResponse HealthChecks::check_all(bool verbose,
                                       const std::set<std::string, std::less<>>& excluded) const {
  MutexLock lock(mutex_);
  std::string lines;
  bool failed = false;
  for (const auto& check : checks_) {
    if (excluded.contains(check.name)) {
      lines += "[+]" + check.name + " excluded: ok\n";
      continue;
    }
    if (const CheckResult result = run(check)) {
      failed = true;
      lines += "[-]" + check.name + " failed: " + *result + "\n";
    } else {
      lines += "[+]" + check.name + " ok\n";
    }
  }
  if (failed) {
    return {500, lines + endpoint_name_ + " check failed\n"};
  }
  if (verbose) {
    return {200, lines + endpoint_name_ + " check passed\n"};
  }
  return {200, "ok"};
}

HealthResponse HealthChecks::check_one(std::string_view name) const {
  MutexLock lock(mutex_);
  for (const auto& check : checks_) {
    if (check.name == name) {
      if (const CheckResult result = run(check)) {
        return {500, "internal server error: " + *result + "\n"};
      }
      return {200, "ok"};
    }
  }
  return {404, "no such check: " + std::string(name) + "\n"};
}

}  // namespace hso::http
