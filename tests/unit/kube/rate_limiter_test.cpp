#include "hso/kube/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "hso/kube/backoff.hpp"
#include "hso/kube/server_pushback.hpp"

namespace hso::kube {
namespace {

using std::chrono::milliseconds;

TEST(ServerPushback, HoldsUntilTheLatestDeadline) {
  FakeClock clock;
  ServerPushback pushback(clock);
  EXPECT_EQ(pushback.remaining(), Clock::Duration::zero());
  pushback.hold_for(milliseconds(1000));
  pushback.hold_for(milliseconds(200));  // a shorter hold does not cut the longer one
  EXPECT_EQ(pushback.remaining(), milliseconds(1000));
  clock.advance(milliseconds(600));
  EXPECT_EQ(pushback.remaining(), milliseconds(400));
  clock.advance(milliseconds(400));
  EXPECT_EQ(pushback.remaining(), Clock::Duration::zero());
  clock.advance(milliseconds(1));
  EXPECT_EQ(pushback.remaining(), Clock::Duration::zero());
}

TEST(TokenBucketRateLimiter, BurstThenSteadyRate) {
  FakeClock clock;
  TokenBucketRateLimiter limiter(10.0, 3, clock);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(limiter.reserve(), Clock::Duration::zero());
  // The 4th, 5th and 6th callers queue up at 100 ms intervals.
  EXPECT_EQ(limiter.reserve(), milliseconds(100));
  EXPECT_EQ(limiter.reserve(), milliseconds(200));
  EXPECT_EQ(limiter.reserve(), milliseconds(300));
  clock.advance(milliseconds(300));
  EXPECT_EQ(limiter.reserve(), milliseconds(100));
}

TEST(TokenBucketRateLimiter, RefillsUpToBurstOnly) {
  FakeClock clock;
  TokenBucketRateLimiter limiter(5.0, 2, clock);
  limiter.reserve();
  limiter.reserve();
  clock.advance(std::chrono::hours(1));
  EXPECT_EQ(limiter.reserve(), Clock::Duration::zero());
  EXPECT_EQ(limiter.reserve(), Clock::Duration::zero());
  EXPECT_EQ(limiter.reserve(), milliseconds(200));
}

TEST(TokenBucketRateLimiter, CancelledReservationIsGivenBack) {
  FakeClock clock;
  TokenBucketRateLimiter limiter(1.0, 1, clock);
  limiter.reserve();
  EXPECT_EQ(limiter.reserve(), milliseconds(1000));
  limiter.cancel_reservation();
  EXPECT_EQ(limiter.reserve(), milliseconds(1000));
}

TEST(TokenBucketRateLimiter, NoLimitWhenQpsIsZero) {
  FakeClock clock;
  TokenBucketRateLimiter limiter(0.0, 1, clock);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(limiter.reserve(), Clock::Duration::zero());
  EXPECT_TRUE(limiter.acquire());
}

TEST(TokenBucketRateLimiter, AcquireReturnsPromptlyWhenStopped) {
  FakeClock clock;  // never advances: the wait would be 100 s
  TokenBucketRateLimiter limiter(0.01, 1, clock);
  ASSERT_TRUE(limiter.acquire());
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(limiter.acquire(stop.get_token()));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_FALSE(limiter.acquire(stop.get_token()));
}

TEST(TokenBucketRateLimiter, AcquireWaitsForItsTurnInRealTime) {
  TokenBucketRateLimiter limiter(50.0, 1);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(limiter.acquire());
  // One immediately, then five at 20 ms intervals.
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(90));
}

TEST(Backoff, DoublesUpToTheCapWithJitter) {
  FakeClock clock;
  double u = 0.0;
  Backoff backoff(
      BackoffPolicy{milliseconds(800), milliseconds(30'000), 2.0, 1.0, milliseconds(120'000)},
      clock, [&] { return u; });
  const std::vector<long> expected{800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
  for (long ms : expected) {
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(backoff.next()).count(), ms);
  }
  u = 0.5;  // jitter adds up to `jitter` times the base
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(backoff.next()).count(), 45000);
}

TEST(Backoff, ResetsAfterAHealthyPeriod) {
  FakeClock clock;
  Backoff backoff(
      BackoffPolicy{milliseconds(100), milliseconds(10'000), 2.0, 0.0, milliseconds(60'000)}, clock,
      [] { return 0.0; });
  backoff.next();
  backoff.next();
  EXPECT_EQ(backoff.next(), milliseconds(400));
  clock.advance(milliseconds(59'000));
  EXPECT_EQ(backoff.next(), milliseconds(800));
  clock.advance(milliseconds(60'000));
  EXPECT_EQ(backoff.next(), milliseconds(100));
  backoff.next();
  backoff.reset();
  EXPECT_EQ(backoff.next(), milliseconds(100));
}

TEST(Backoff, DefaultRandomStaysWithinBounds) {
  Backoff backoff(
      BackoffPolicy{milliseconds(100), milliseconds(1000), 2.0, 1.0, milliseconds(60'000)});
  for (int i = 0; i < 50; ++i) {
    const auto delay = backoff.next();
    EXPECT_GE(delay, milliseconds(100));
    EXPECT_LT(delay, milliseconds(2000));
  }
}

}  // namespace
}  // namespace hso::kube
