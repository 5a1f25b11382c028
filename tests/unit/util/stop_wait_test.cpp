#include "hso/util/stop_wait.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "hso/util/random.hpp"

namespace hso {
namespace {

using namespace std::chrono_literals;

TEST(UtilStopWaitTest, AWaitThatRunsOutReturnsTrue) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(sleep_for(2ms, {}));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2ms);
  EXPECT_TRUE(real_sleeper()(0ms, {}));
}

TEST(UtilStopWaitTest, AStopRequestedBeforeOrDuringTheWaitEndsIt) {
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_FALSE(sleep_for(1h, stopped.get_token()));

  std::stop_source stop;
  const auto started = std::chrono::steady_clock::now();
  std::jthread waiter([&stop](std::stop_token) { EXPECT_FALSE(sleep_for(1h, stop.get_token())); });
  stop.request_stop();
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1min);
}

TEST(UtilRandomTest, StaysInItsRange) {
  for (int i = 0; i < 1000; ++i) {
    const double value = uniform_random();
    ASSERT_GE(value, 0.0);
    ASSERT_LT(value, 1.0);
    ASSERT_LT(random_below(7), 7u);
  }
  EXPECT_EQ(random_below(0), 0u);
  EXPECT_EQ(random_below(1), 0u);
}

}  // namespace
}  // namespace hso
