#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hso/http/health_checks.hpp"
#include "hso/util/clock.hpp"

namespace hso::http {

// readyz "informers-synced": fails until every cache has synced once, with the reason the caller
// gives (which cache waits, and the last error it met); an empty reason means all have synced.
HealthCheck informers_synced_check(std::function<std::string()> unsynced_reason);

// healthz "leader-election": fails when this replica believes it leads but its last successful
// renew is older than `max_age` (lease duration plus a margin): the renew loop is wedged.
// `last_renew_while_leading` returns nullopt when not leading (e.g. LeadershipGate::last_renew).
HealthCheck lease_renew_check(
    std::function<std::optional<Clock::TimePoint>()> last_renew_while_leading, const Clock& clock,
    Clock::Duration max_age);

// healthz "workers": fails when a worker has been on one key for longer than `bound`, far beyond
// any reconcile's own timeouts (the queue's longest-running item).
HealthCheck stuck_worker_check(std::function<std::chrono::duration<double>()> longest_running,
                               std::chrono::duration<double> bound);

// readyz "permissions": fails while the API server refuses the operator something its RBAC must
// grant, naming each verb and resource `denied` returns (e.g. PermissionMonitor::denied).
HealthCheck permissions_check(std::function<std::vector<std::string>()> denied);

}  // namespace hso::http
