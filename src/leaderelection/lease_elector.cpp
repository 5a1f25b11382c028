#include "hso/leaderelection/lease_elector.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <limits>
#include <utility>

#include "hso/kube/errors.hpp"
#include "hso/util/time_format.hpp"

namespace hso::leaderelection {
namespace {

constexpr int kReleasedLeaseDurationSeconds = 1;

}  // namespace

LeaseElector::LeaseElector(kube::ApiClient& client, const Clock& clock, LeaseElectorConfig config,
                           metrics::LeaderMetrics& metrics)
    : client_(client),
      clock_(clock),
      config_(std::move(config)),
      metrics_(metrics),
      gate_(clock, config_.renew_deadline) {
  validate(config_);
}

std::string LeaseElector::observed_holder() const {
  MutexLock lock(mutex_);
  return observed_record_ ? observed_record_->holder_identity : std::string();
}

std::optional<LeaderElectionRecord> LeaseElector::last_observed() const {
  MutexLock lock(mutex_);
  return observed_record_;
}

bool LeaseElector::try_acquire_or_renew() {
  // While leading, renew with a PUT of the Lease as we last wrote it; fall back to GET + PUT if
  // someone else changed it in between.
  if (gate_.is_leader() && own_lease_ && try_update_cached(clock_.now())) {
    return true;
  }
  return acquire_or_renew_from_server(clock_.now());
}

bool LeaseElector::try_update_cached(Clock::TimePoint now) {
  nlohmann::json lease = *own_lease_;
  if (update_lease(std::move(lease), next_record(last_observed().value()), now)) {
    return true;
  }
  own_lease_.reset();
  return false;
}

bool LeaseElector::acquire_or_renew_from_server(Clock::TimePoint now) {
  nlohmann::json lease;
  try {
    lease = client_.get(config_.lease_path());
  } catch (const kube::ApiError& error) {
    if (error.is_not_found()) {
      return create_lease(now);
    }
    spdlog::warn("leader election: reading lease {}/{} failed: {}", config_.lease_namespace,
                 config_.lease_name, error.what());
    return false;
  } catch (const std::exception& error) {
    spdlog::warn("leader election: reading lease {}/{} failed: {}", config_.lease_namespace,
                 config_.lease_name, error.what());
    return false;
  }

  const LeaderElectionRecord record = record_from_lease(lease);
  observe(record, now);
  const bool held_by_other =
      !record.holder_identity.empty() && record.holder_identity != config_.identity;
  if (held_by_other && now < observed_time_ + std::chrono::seconds(record.lease_duration_seconds)) {
    if (gate_.is_leader()) {
      spdlog::warn("leader election: lease {}/{} is now held by {}", config_.lease_namespace,
                   config_.lease_name, record.holder_identity);
      gate_.close();
    }
    return false;
  }
  return update_lease(std::move(lease), next_record(record), now);
}

bool LeaseElector::create_lease(Clock::TimePoint now) {
  LeaderElectionRecord record = next_record(LeaderElectionRecord{});
  record.lease_transitions = 0;
  nlohmann::json lease = {
      {"apiVersion", "coordination.k8s.io/v1"},
      {"kind", "Lease"},
      {"metadata", {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
  };
  write_record_to_lease(record, lease);
  try {
    nlohmann::json created = client_.create(config_.leases_collection_path(), lease);
    observe(record, now);
    succeeded(std::move(created), record, now);
    return true;
  } catch (const std::exception& error) {
    // AlreadyExists means another candidate created it first: try again next period.
    spdlog::info("leader election: creating lease {}/{} failed: {}", config_.lease_namespace,
                 config_.lease_name, error.what());
    return false;
  }
}

bool LeaseElector::update_lease(nlohmann::json lease, const LeaderElectionRecord& record,
                                Clock::TimePoint now) {
  write_record_to_lease(record, lease);
  try {
    // The body carries metadata.resourceVersion: a 409 means someone else wrote first.
    nlohmann::json updated = client_.update(config_.lease_path(), lease);
    observe(record, now);
    succeeded(std::move(updated), record, now);
    return true;
  } catch (const std::exception& error) {
    spdlog::debug("leader election: updating lease {}/{} failed: {}", config_.lease_namespace,
                  config_.lease_name, error.what());
    return false;
  }
}

LeaderElectionRecord LeaseElector::next_record(const LeaderElectionRecord& current) const {
  const std::string now = format_micro_time(clock_.wall_now());
  LeaderElectionRecord next;
  next.holder_identity = config_.identity;
  next.lease_duration_seconds = config_.lease_duration_seconds();
  next.renew_time = now;
  if (current.holder_identity == config_.identity && !current.acquire_time.empty()) {
    next.acquire_time = current.acquire_time;
    next.lease_transitions = current.lease_transitions;
  } else {
    next.acquire_time = now;
    // The counter is an int32 anyone may edit: at its maximum it stays there (found by the bad
    // input e2e test: a Lease edited to 2147483647 transitions overflowed here).
    next.lease_transitions = current.lease_transitions < std::numeric_limits<int>::max()
                                 ? current.lease_transitions + 1
                                 : current.lease_transitions;
  }
  return next;
}

void LeaseElector::observe(const LeaderElectionRecord& record, Clock::TimePoint now) {
  MutexLock lock(mutex_);
  if (observed_record_ && *observed_record_ == record) {
    return;
  }
  const std::string previous_holder =
      observed_record_ ? observed_record_->holder_identity : std::string();
  const bool new_holder =
      !record.holder_identity.empty() && record.holder_identity != previous_holder;
  if (new_holder && (observed_record_ || record.holder_identity == config_.identity)) {
    metrics_.transitioned();
  }
  observed_record_ = record;
  observed_time_ = now;
}

void LeaseElector::succeeded(nlohmann::json lease, const LeaderElectionRecord& record,
                             Clock::TimePoint now) {
  if (lease.is_object() && lease.contains("metadata")) {
    own_lease_ = std::move(lease);
    write_record_to_lease(record, *own_lease_);
  } else {
    own_lease_.reset();
  }
  if (!gate_.is_leader()) {
    spdlog::info("leader election: {} acquired lease {}/{}", config_.identity,
                 config_.lease_namespace, config_.lease_name);
  }
  gate_.renewed(now);
}

bool LeaseElector::release() {
  gate_.close();
  const std::optional<LeaderElectionRecord> observed = last_observed();
  if (!observed || observed->holder_identity != config_.identity) {
    return true;
  }
  LeaderElectionRecord released = *observed;
  const std::string now = format_micro_time(clock_.wall_now());
  released.holder_identity.clear();
  released.lease_duration_seconds = kReleasedLeaseDurationSeconds;
  released.acquire_time = now;
  released.renew_time = now;

  for (int attempt = 0; attempt < 2; ++attempt) {
    nlohmann::json lease;
    if (attempt == 0 && own_lease_) {
      lease = *own_lease_;
    } else {
      try {
        lease = client_.get(config_.lease_path());
      } catch (const std::exception& error) {
        spdlog::warn("leader election: reading lease for release failed: {}", error.what());
        return false;
      }
      if (record_from_lease(lease).holder_identity != config_.identity) {
        return true;  // someone else holds it already
      }
    }
    write_record_to_lease(released, lease);
    try {
      client_.update(config_.lease_path(), lease);
      own_lease_.reset();
      observe(released, clock_.now());
      spdlog::info("leader election: {} released lease {}/{}", config_.identity,
                   config_.lease_namespace, config_.lease_name);
      return true;
    } catch (const std::exception& error) {
      spdlog::warn("leader election: releasing lease failed: {}", error.what());
    }
  }
  return false;
}

}  // namespace hso::leaderelection
