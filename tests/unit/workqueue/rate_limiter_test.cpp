#include "hso/workqueue/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hso::workqueue {
namespace {

using namespace std::chrono_literals;

RateLimitPolicy per_key_only() {
  RateLimitPolicy policy;
  policy.overall_per_second = 0;  // no overall bucket
  return policy;
}

TEST(WorkqueueRateLimiterTest, PerKeyDelayDoublesUpToTheCap) {
  FakeClock clock;
  RetryRateLimiter limiter(per_key_only(), clock);
  EXPECT_EQ(limiter.next_delay("ns/a"), 100ms);
  EXPECT_EQ(limiter.next_delay("ns/a"), 200ms);
  EXPECT_EQ(limiter.next_delay("ns/a"), 400ms);
  EXPECT_EQ(limiter.next_delay("ns/b"), 100ms);  // keys are independent
  for (int i = 0; i < 100; ++i) {
    limiter.next_delay("ns/a");
  }
  EXPECT_EQ(limiter.next_delay("ns/a"), 5min);
  EXPECT_EQ(limiter.failures("ns/a"), 104);
}

TEST(WorkqueueRateLimiterTest, ForgetStartsAgainFromTheBase) {
  FakeClock clock;
  RetryRateLimiter limiter(per_key_only(), clock);
  limiter.next_delay("ns/a");
  limiter.next_delay("ns/a");
  limiter.forget("ns/a");
  EXPECT_EQ(limiter.failures("ns/a"), 0);
  EXPECT_EQ(limiter.next_delay("ns/a"), 100ms);
}

TEST(WorkqueueRateLimiterTest, OverallBucketSpacesOutABurstOfFailures) {
  FakeClock clock;
  RateLimitPolicy policy;
  policy.base_delay = 1ms;
  policy.overall_per_second = 10;
  policy.overall_burst = 3;
  RetryRateLimiter limiter(policy, clock);
  EXPECT_EQ(limiter.next_delay("k1"), 1ms);
  EXPECT_EQ(limiter.next_delay("k2"), 1ms);
  EXPECT_EQ(limiter.next_delay("k3"), 1ms);
  EXPECT_EQ(limiter.next_delay("k4"), 100ms);  // bucket empty: wait for the next token
  EXPECT_EQ(limiter.next_delay("k5"), 200ms);
  clock.advance(1s);  // refills, up to the burst
  EXPECT_EQ(limiter.next_delay("k6"), 1ms);
}

}  // namespace
}  // namespace hso::workqueue
