#include "hso/leaderelection/lease_elector_config.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "hso/kube/request_path.hpp"

namespace hso::leaderelection {

int LeaseElectorConfig::lease_duration_seconds() const {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(lease_duration).count());
}

std::string LeaseElectorConfig::leases_collection_path() const {
  return kube::collection_path(kube::kLeases, lease_namespace);
}

std::string LeaseElectorConfig::lease_path() const {
  return kube::object_path(kube::kLeases, lease_namespace, lease_name);
}

void validate(const LeaseElectorConfig& config) {
  if (config.lease_namespace.empty()) {
    throw std::invalid_argument("leader election: the lease namespace is not set");
  }
  if (config.lease_name.empty()) {
    throw std::invalid_argument("leader election: the lease name (--leader-election-id) is empty");
  }
  if (config.identity.empty()) {
    throw std::invalid_argument("leader election: the identity is empty");
  }
  if (config.retry_period <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("leader election: --retry-period must be positive");
  }
  // 1.2 x retry period, in integer arithmetic.
  if (config.renew_deadline * 5 <= config.retry_period * 6) {
    throw std::invalid_argument(
        "leader election: --renew-deadline must be greater than 1.2 x --retry-period");
  }
  // leaseDurationSeconds is an int32.
  if (config.lease_duration > std::chrono::seconds(std::numeric_limits<std::int32_t>::max())) {
    throw std::invalid_argument("leader election: --lease-duration must be at most 2147483647s");
  }
  // What other candidates wait is the whole seconds written into the lease.
  if (std::chrono::seconds(config.lease_duration_seconds()) <= config.renew_deadline) {
    throw std::invalid_argument(
        "leader election: --lease-duration (in whole seconds) must be greater than "
        "--renew-deadline");
  }
}

std::chrono::milliseconds lease_request_timeout(const LeaseElectorConfig& config) {
  return config.renew_deadline / 2;
}

std::chrono::milliseconds leader_write_timeout(const LeaseElectorConfig& config) {
  return (config.lease_duration - config.renew_deadline) / 3;
}

}  // namespace hso::leaderelection
