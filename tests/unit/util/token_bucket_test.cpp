#include "hso/util/token_bucket.hpp"

#include <gtest/gtest.h>

namespace hso {
namespace {

using namespace std::chrono_literals;

TEST(UtilTokenBucketTest, ABurstIsFreeThenCallersAreSpacedAtTheRate) {
  FakeClock clock;
  TokenBucket bucket(10, 3, clock.now());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(bucket.reserve(clock.now()), Clock::Duration::zero());
  EXPECT_EQ(bucket.reserve(clock.now()), 100ms);
  EXPECT_EQ(bucket.reserve(clock.now()), 200ms);  // reserved in order
  clock.advance(1s);                              // refills up to the burst only
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(bucket.reserve(clock.now()), Clock::Duration::zero()) << i;
  EXPECT_EQ(bucket.reserve(clock.now()), 100ms);
}

TEST(UtilTokenBucketTest, AGivenBackTokenServesTheNextCaller) {
  FakeClock clock;
  TokenBucket bucket(1, 1, clock.now());
  EXPECT_EQ(bucket.reserve(clock.now()), Clock::Duration::zero());
  EXPECT_EQ(bucket.reserve(clock.now()), 1s);
  bucket.give_back();
  EXPECT_EQ(bucket.reserve(clock.now()), 1s);
}

TEST(UtilTokenBucketTest, NoRateMeansNoLimitAndBurstIsAtLeastOne) {
  FakeClock clock;
  TokenBucket unlimited(0, 1, clock.now());
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(unlimited.reserve(clock.now()), Clock::Duration::zero());
  TokenBucket tiny(1, 0, clock.now());
  EXPECT_EQ(tiny.burst(), 1.0);
  EXPECT_EQ(tiny.reserve(clock.now()), Clock::Duration::zero());
  EXPECT_EQ(tiny.reserve(clock.now()), 1s);
}

}  // namespace
}  // namespace hso
