#include <gtest/gtest.h>

#include "hso/informer/retry_backoff.hpp"

namespace hso::informer {
namespace {

using namespace std::chrono_literals;

TEST(InformerRetryBackoffTest, DoublesFrom800msTo30s) {
  FakeClock clock;
  RetryBackoff backoff({}, clock, [] { return 0.0; });
  std::vector<Clock::Duration> delays;
  for (int i = 0; i < 8; ++i) {
    delays.push_back(backoff.next());
  }
  EXPECT_EQ(delays, (std::vector<Clock::Duration>{800ms, 1600ms, 3200ms, 6400ms, 12800ms, 25600ms,
                                                  30s, 30s}));
}

TEST(InformerRetryBackoffTest, JitterStretchesTheDelay) {
  FakeClock clock;
  RetryBackoff backoff({}, clock, [] { return 0.5; });
  EXPECT_EQ(backoff.next(), 1000ms);  // 800ms * (1 + 0.5 * 0.5)
}

TEST(InformerRetryBackoffTest, RetryAfterIsAFloor) {
  FakeClock clock;
  RetryBackoff backoff({}, clock, [] { return 0.0; });
  EXPECT_EQ(backoff.next(5s), 5s);
  EXPECT_EQ(backoff.next(1s), 1600ms);  // the base kept growing underneath
}

TEST(InformerRetryBackoffTest, ResetsAfterTwoHealthyMinutes) {
  FakeClock clock;
  RetryBackoff backoff({}, clock, [] { return 0.0; });
  clock.advance(backoff.next());
  clock.advance(backoff.next());
  clock.advance(119s);
  EXPECT_EQ(backoff.next(), 3200ms);
  clock.advance(3200ms + 120s);
  EXPECT_EQ(backoff.next(), 800ms);
  backoff.next();
  backoff.reset();
  EXPECT_EQ(backoff.next(), 800ms);
}

}  // namespace
}  // namespace hso::informer
