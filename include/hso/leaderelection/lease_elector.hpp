#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hso/kube/api_client.hpp"
#include "hso/leaderelection/leader_election_record.hpp"
#include "hso/leaderelection/leadership_gate.hpp"
#include "hso/leaderelection/lease_elector_config.hpp"
#include "hso/metrics/sinks.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::leaderelection {

// One candidate for a Lease. Its steps are synchronous and make every decision from the injected
// clock, so tests drive it with a FakeClock; LeaderElectionRunner calls them on a schedule.
//
// Expiry is judged only by the local monotonic clock: the candidate remembers when it last saw
// the record change and considers the lease free once the record's leaseDurationSeconds have
// passed since then. Timestamps inside the record are change signals only.
//
// The client must be the elector's own (own connection, per-request timeout of
// lease_request_timeout(), no shared client-side rate limit).
class LeaseElector {
 public:
  LeaseElector(kube::ApiClient& client, const Clock& clock, LeaseElectorConfig config,
               metrics::LeaderMetrics& metrics);

  // One attempt to acquire the lease, or to renew it when held. Returns true if this replica
  // holds the lease afterwards. Never throws for API or transport failures (returns false).
  bool try_acquire_or_renew();

  // Gives the lease up (empty holder, leaseDurationSeconds 1) so a standby takes over within
  // about one retry period. Closes the gate first. Only writes if this replica holds the lease.
  // Returns true if the lease was released or was not held.
  bool release();

  // Stop leading now (the runner calls this when the renew deadline has passed).
  void abdicate() { gate_.close(); }

  const LeadershipGate& gate() const { return gate_; }
  bool is_leader() const { return gate_.is_leader(); }
  const LeaseElectorConfig& config() const { return config_; }
  // The holder as last observed ("" if none or not observed yet).
  std::string observed_holder() const;

 private:
  bool try_update_cached(Clock::TimePoint now);
  bool acquire_or_renew_from_server(Clock::TimePoint now);
  bool create_lease(Clock::TimePoint now);
  bool update_lease(nlohmann::json lease, const LeaderElectionRecord& record, Clock::TimePoint now);
  LeaderElectionRecord next_record(const LeaderElectionRecord& current) const;
  void observe(const LeaderElectionRecord& record, Clock::TimePoint now);
  void succeeded(nlohmann::json lease, const LeaderElectionRecord& record, Clock::TimePoint now);
  std::optional<LeaderElectionRecord> last_observed() const;

  kube::ApiClient& client_;
  const Clock& clock_;
  const LeaseElectorConfig config_;
  metrics::LeaderMetrics& metrics_;
  LeadershipGate gate_;

  // The record is read by observed_holder() from other threads; the rest below only by the
  // thread that calls try_acquire_or_renew() and release().
  mutable Mutex mutex_;
  std::optional<LeaderElectionRecord> observed_record_ HSO_GUARDED_BY(mutex_);
  Clock::TimePoint observed_time_{};
  // The Lease as last written by us, for renewing without a GET first.
  std::optional<nlohmann::json> own_lease_;
};

}  // namespace hso::leaderelection
