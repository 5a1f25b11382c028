#include "hso/http/health_checks.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hso/http/standard_health_checks.hpp"
#include "hso/util/clock.hpp"

namespace hso::http {
namespace {

using namespace std::chrono_literals;

HealthCheck passing() {
  return [] { return CheckResult{}; };
}

HealthCheck failing(std::string reason) {
  return [reason] { return CheckResult{reason}; };
}

TEST(HealthChecksTest, AllPassingIsPlainOk) {
  HealthChecks checks("healthz");
  checks.add("ping", passing());
  checks.add("workers", passing());
  const auto response = checks.check_all(false);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
}

TEST(HealthChecksTest, NoChecksIsOk) {
  EXPECT_EQ(HealthChecks("readyz").check_all(false).body, "ok");
}

TEST(HealthChecksTest, VerboseListsEveryCheck) {
  HealthChecks checks("readyz");
  checks.add("ping", passing());
  checks.add("informers-synced", passing());
  const auto response = checks.check_all(true);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "[+]ping ok\n[+]informers-synced ok\nreadyz check passed\n");
}

TEST(HealthChecksTest, AFailureIs500WithEveryLine) {
  HealthChecks checks("healthz");
  checks.add("ping", passing());
  checks.add("leader-election", failing("lease not renewed for 31.0s"));
  const auto response = checks.check_all(false);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body,
            "[+]ping ok\n[-]leader-election failed: lease not renewed for 31.0s\n"
            "healthz check failed\n");
}

TEST(HealthChecksTest, ExcludedChecksDoNotRun) {
  HealthChecks checks("readyz");
  checks.add("informers-synced", failing("not yet"));
  checks.add("ping", passing());
  const auto response = checks.check_all(true, {"informers-synced"});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "[+]informers-synced excluded: ok\n[+]ping ok\nreadyz check passed\n");
}

TEST(HealthChecksTest, AThrowingCheckFailsWithItsMessage) {
  HealthChecks checks("healthz");
  checks.add("boom", []() -> CheckResult { throw std::runtime_error("exploded"); });
  const auto response = checks.check_all(false);
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("[-]boom failed: exploded"), std::string::npos);
}

TEST(HealthChecksTest, OneCheckByName) {
  HealthChecks checks("readyz");
  checks.add("ping", passing());
  checks.add("informers-synced", failing("caches have not synced yet"));
  EXPECT_EQ(checks.check_one("ping").status, 200);
  EXPECT_EQ(checks.check_one("ping").body, "ok");
  EXPECT_EQ(checks.check_one("informers-synced").status, 500);
  EXPECT_EQ(checks.check_one("informers-synced").body,
            "internal server error: caches have not synced yet\n");
  EXPECT_EQ(checks.check_one("nope").status, 404);
}

TEST(HealthStandardChecksTest, InformersSyncedSaysWhatWaitsAndWhy) {
  std::string reason = "pods: cannot connect to https://127.0.0.1:1";
  auto check = informers_synced_check([&] { return reason; });
  EXPECT_EQ(check(), "caches have not synced yet: pods: cannot connect to https://127.0.0.1:1");
  reason.clear();
  EXPECT_FALSE(check());
}

TEST(HealthStandardChecksTest, LeaseRenewFreshnessOnlyWhileLeading) {
  FakeClock clock;
  std::optional<Clock::TimePoint> last_renew;
  auto check = lease_renew_check([&] { return last_renew; }, clock, 15s + 5s);
  EXPECT_FALSE(check());  // standby
  last_renew = clock.now();
  clock.advance(20s);
  EXPECT_FALSE(check());
  clock.advance(1s);
  ASSERT_TRUE(check());
  EXPECT_EQ(*check(), "leading, but the lease was last renewed 21.0s ago (limit 20.0s)");
  last_renew.reset();  // stopped leading
  EXPECT_FALSE(check());
}

TEST(HealthStandardChecksTest, StuckWorker) {
  std::chrono::duration<double> longest{0};
  auto check = stuck_worker_check([&] { return longest; }, 300s);
  EXPECT_FALSE(check());
  longest = 301s;
  EXPECT_TRUE(check());
}

TEST(HealthStandardChecksTest, PermissionsNameEveryRefusal) {
  std::vector<std::string> denied;
  auto check = permissions_check([&] { return denied; });
  EXPECT_FALSE(check());
  denied = {"list pods", "create services"};
  EXPECT_EQ(check(), "forbidden by RBAC: list pods; create services;");
}

}  // namespace
}  // namespace hso::http
