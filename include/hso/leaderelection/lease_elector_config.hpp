#pragma once

#include <chrono>
#include <string>

namespace hso::leaderelection {

struct LeaseElectorConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};

  // The value written to spec.leaseDurationSeconds (whole seconds, rounded down).
  int lease_duration_seconds() const;
  // The API path of the Lease object and of its collection.
  std::string lease_path() const;
  std::string leases_collection_path() const;
};

// Throws std::invalid_argument unless: names and identity are set, and
// lease duration (as written, in whole seconds) > renew deadline > 1.2 x retry period > 0.
void validate(const LeaseElectorConfig& config);

// A per-request timeout for the elector's own API client: half the renew deadline, so that a
// failed attempt still leaves time for another one before the deadline.
std::chrono::milliseconds lease_request_timeout(const LeaseElectorConfig& config);

// How long one write of the leader may take, from being let out to being answered. A leader lets
// writes out until its renew deadline, and nobody else can take the lease before lease duration
// has passed since that renew, so a write must land within lease duration - renew deadline. A
// third of that, because connecting, sending and the server's own handling are each bounded by
// it separately.
std::chrono::milliseconds leader_write_timeout(const LeaseElectorConfig& config);

}  // namespace hso::leaderelection
