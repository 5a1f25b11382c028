#include "hso/http/standard_health_checks.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>

namespace hso::http {
namespace {

std::string format_seconds(std::chrono::duration<double> duration) {
  return fmt::format("{:.1f}s", duration.count());
}

}  // namespace

HealthCheck informers_synced_check(std::function<std::string()> unsynced_reason) {
  return [unsynced_reason = std::move(unsynced_reason)]() -> CheckResult {
    std::string reason = unsynced_reason();
    if (reason.empty()) {
      return std::nullopt;
    }
    return "caches have not synced yet: " + reason;
  };
}

HealthCheck lease_renew_check(
    std::function<std::optional<Clock::TimePoint>()> last_renew_while_leading, const Clock& clock,
    Clock::Duration max_age) {
  return [last_renew = std::move(last_renew_while_leading), &clock, max_age]() -> CheckResult {
    const auto last = last_renew();
    if (!last) {
      return std::nullopt;  // standby, or not leading any more
    }
    const auto age = clock.now() - *last;
    if (age <= max_age) {
      return std::nullopt;
    }
    return "leading, but the lease was last renewed " + format_seconds(age) + " ago (limit " +
           format_seconds(max_age) + ")";
  };
}

HealthCheck stuck_worker_check(std::function<std::chrono::duration<double>()> longest_running,
                               std::chrono::duration<double> bound) {
  return [longest_running = std::move(longest_running), bound]() -> CheckResult {
    const auto running = longest_running();
    if (running <= bound) {
      return std::nullopt;
    }
    return "a worker has been processing one key for " + format_seconds(running) + " (limit " +
           format_seconds(bound) + ")";
  };
}

HealthCheck permissions_check(std::function<std::vector<std::string>()> denied) {
  return [denied = std::move(denied)]() -> CheckResult {
    const auto refused = denied();
    if (refused.empty())
      return std::nullopt;
    std::string reason = "forbidden by RBAC:";
    for (const auto& what : refused)
      reason += " " + what + ";";
    return reason;
  };
}

}  // namespace hso::http
