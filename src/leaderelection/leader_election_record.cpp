#include "hso/leaderelection/leader_election_record.hpp"

#include <cstdint>
#include <limits>
#include <string>

namespace hso::leaderelection {
namespace {

std::string string_field(const nlohmann::json& spec, const char* name) {
  auto it = spec.find(name);
  return it != spec.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// 0 also for a number an int cannot hold: narrowed, 4294967311 would read as 15.
int int_field(const nlohmann::json& spec, const char* name) {
  auto it = spec.find(name);
  if (it == spec.end())
    return 0;
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    return value <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())
               ? static_cast<int>(value)
               : 0;
  }
  if (it->is_number_integer()) {
    const auto value = it->get<std::int64_t>();
    return value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max()
               ? static_cast<int>(value)
               : 0;
  }
  return 0;
}

}  // namespace

LeaderElectionRecord record_from_lease(const nlohmann::json& lease) {
  LeaderElectionRecord record;
  auto spec = lease.find("spec");
  if (spec == lease.end() || !spec->is_object()) {
    return record;
  }
  record.holder_identity = string_field(*spec, "holderIdentity");
  record.lease_duration_seconds = int_field(*spec, "leaseDurationSeconds");
  record.acquire_time = string_field(*spec, "acquireTime");
  record.renew_time = string_field(*spec, "renewTime");
  record.lease_transitions = int_field(*spec, "leaseTransitions");
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
