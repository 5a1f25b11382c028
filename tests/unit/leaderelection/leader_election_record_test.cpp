#include "hso/leaderelection/leader_election_record.hpp"

#include <gtest/gtest.h>

namespace hso::leaderelection {
namespace {

using nlohmann::json;

// Found by fuzzing (tests/fuzz/corpus/lease_record/regression_*): a number an int cannot hold was
// narrowed, so a leaseDurationSeconds of 4294967311 read as 15.
TEST(LeaderElectionRecordTest, NumbersAnIntCannotHoldReadAsAbsent) {
  const json lease = {{"spec",
                       {{"holderIdentity", "other"},
                        {"leaseDurationSeconds", 4294967311LL},
                        {"leaseTransitions", json(18446744073709551615ULL)}}}};
  const LeaderElectionRecord record = record_from_lease(lease);
  EXPECT_EQ(record.lease_duration_seconds, 0);
  EXPECT_EQ(record.lease_transitions, 0);
  EXPECT_EQ(record_from_lease(json{{"spec", {{"leaseDurationSeconds", -2147483649LL}}}})
                .lease_duration_seconds,
            0);
  EXPECT_EQ(record_from_lease(json{{"spec", {{"leaseDurationSeconds", 2147483647}}}})
                .lease_duration_seconds,
            2147483647);
}

// Found by fuzzing: a spec that is not an object read as an empty record, and writing the record
// back threw nlohmann's type_error.
TEST(LeaderElectionRecordTest, WritesOverASpecThatIsNotAnObject) {
  for (const json& spec : {json(5), json("x"), json::array({1}), json(nullptr)}) {
    json lease = {{"metadata", {{"name", "l"}}}, {"spec", spec}};
    const LeaderElectionRecord record{"me", 15, "t1", "t2", 1};
    write_record_to_lease(record, lease);
    EXPECT_EQ(record_from_lease(lease), record) << spec.dump();
    EXPECT_EQ(lease["metadata"]["name"], "l");
  }
}

}  // namespace
}  // namespace hso::leaderelection
