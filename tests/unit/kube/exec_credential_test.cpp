#include "hso/kube/exec_credential.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "hso/util/time_format.hpp"

namespace hso::kube {
namespace {

constexpr const char* kV1 = "client.authentication.k8s.io/v1";

// Found by fuzzing (tests/fuzz/corpus/exec_credential/regression_*): a year past 2262 overflowed
// the nanosecond system_clock (UBSan: signed integer overflow).
TEST(ExecCredentialTest, ExpiryPastTheClockRangeSaturates) {
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59Z"), std::chrono::system_clock::time_point::max());
  EXPECT_EQ(parse_rfc3339("4053-01-01T00:00:00+01:00"),
            std::chrono::system_clock::time_point::max());
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z"), std::chrono::system_clock::time_point::min());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*parse_rfc3339("2262-01-01T00:00:00Z")),
            9'214'646'400);
  const auto status = parse_exec_credential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
          "status":{"token":"t","expirationTimestamp":"9999-12-31T23:59:59Z"}})",
      kV1);
  EXPECT_EQ(status.expiration, std::chrono::system_clock::time_point::max());
}

// Found by fuzzing: a kind or apiVersion that is not a string threw nlohmann's type_error
// instead of the documented std::runtime_error saying what is wrong.
TEST(ExecCredentialTest, KindOrApiVersionOfAnotherTypeIsARuntimeError) {
  for (const char* output :
       {R"({"kind":5,"apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t"}})",
        R"({"kind":"ExecCredential","apiVersion":["v1"],"status":{"token":"t"}})"}) {
    try {
      parse_exec_credential(output, kV1);
      ADD_FAILURE() << output;
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find("output"), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace hso::kube
