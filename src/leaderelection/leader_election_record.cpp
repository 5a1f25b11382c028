#include "hso/leaderelection/leader_election_record.hpp"

#include "hso/util/json_access.hpp"

namespace hso::leaderelection {

LeaderElectionRecord record_from_lease(const nlohmann::json& lease) {
  LeaderElectionRecord record;
  auto spec = lease.find("spec");
  if (spec == lease.end() || !spec->is_object()) {
    return record;
  }
  record.holder_identity = json_string_at(*spec, "holderIdentity");
  record.lease_duration_seconds = json_int_at(*spec, "leaseDurationSeconds");
  record.acquire_time = json_string_at(*spec, "acquireTime");
  record.renew_time = json_string_at(*spec, "renewTime");
  record.lease_transitions = json_int_at(*spec, "leaseTransitions");
  return record;
}

void write_record_to_lease(const LeaderElectionRecord& record, nlohmann::json& lease) {
  nlohmann::json& spec = lease["spec"];
  if (!spec.is_object())
    spec = nlohmann::json::object();  // unreadable, so read as empty: replaced whole
  spec["holderIdentity"] = record.holder_identity;
  spec["leaseDurationSeconds"] = record.lease_duration_seconds;
  spec["acquireTime"] = record.acquire_time;
  spec["renewTime"] = record.renew_time;
  spec["leaseTransitions"] = record.lease_transitions;
}

}  // namespace hso::leaderelection
