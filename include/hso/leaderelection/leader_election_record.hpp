#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace hso::leaderelection {

// The spec of a coordination.k8s.io/v1 Lease, as far as leader election reads and writes it.
// Times stay in their wire form (RFC 3339 with microseconds): nobody compares them as times,
// they only tell that the record changed.
struct LeaderElectionRecord {
  std::string holder_identity;
  int lease_duration_seconds = 0;
  std::string acquire_time;
  std::string renew_time;
  int lease_transitions = 0;

  bool operator==(const LeaderElectionRecord&) const = default;
};

// Reads the record from a Lease object; absent fields read as empty or zero.
LeaderElectionRecord record_from_lease(const nlohmann::json& lease);

// Writes the record into the Lease object's spec, leaving metadata alone.
void write_record_to_lease(const LeaderElectionRecord& record, nlohmann::json& lease);

}  // namespace hso::leaderelection
