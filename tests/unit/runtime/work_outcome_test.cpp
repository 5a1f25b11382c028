#include "hso/runtime/work_outcome.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace hso::runtime {
namespace {

using namespace std::chrono_literals;

// Delayed keys move only when the test promotes them.
workqueue::WorkQueueOptions manual_delays() {
  workqueue::WorkQueueOptions options;
  options.run_delay_thread = false;
  return options;
}

class RuntimeSettleTest : public ::testing::Test {
 protected:
  RuntimeSettleTest() {
    queue.add(kKey);
    EXPECT_EQ(queue.get(), kKey);
  }
  void settle_and_finish(const WorkOutcome& outcome) {
    settle(queue, kKey, outcome);
    queue.done(kKey);
  }
  // Whether the key is ready after `delay`, and not before.
  bool ready_after(Clock::Duration delay) {
    clock.advance(delay - 1ms);
    queue.promote_due();
    if (queue.depth() != 0)
      return false;
    clock.advance(1ms);
    queue.promote_due();
    return queue.depth() == 1;
  }

  static constexpr const char* kKey = "ns/a";
  FakeClock clock;
  workqueue::WorkQueue queue{manual_delays(), clock};
};

TEST_F(RuntimeSettleTest, DoneForgetsTheKeyAndItsFailures) {
  queue.add_rate_limited("ns/a");
  ASSERT_EQ(queue.failures(kKey), 1);
  settle_and_finish(WorkOutcome::done());
  EXPECT_EQ(queue.failures(kKey), 0);
  EXPECT_EQ(queue.depth(), 0u);
}

TEST_F(RuntimeSettleTest, RetryCountsAFailureAndHoldsTheKeyBack) {
  settle_and_finish(WorkOutcome::retry("boom"));
  EXPECT_EQ(queue.failures(kKey), 1);
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(queue.delayed(), 1u);
}

TEST_F(RuntimeSettleTest, RequeueAfterForgetsEarlierFailures) {
  queue.add_rate_limited(kKey);
  ASSERT_EQ(queue.failures(kKey), 1);
  settle_and_finish(WorkOutcome::requeue_after(1s));
  EXPECT_EQ(queue.failures(kKey), 0) << "a requeue (a withheld write among them) is not a failure";
}

TEST_F(RuntimeSettleTest, RequeueAfterComesBackAfterItsDelayWithNoFailureCounted) {
  settle_and_finish(WorkOutcome::requeue_after(3s));
  EXPECT_EQ(queue.failures(kKey), 0);
  EXPECT_TRUE(ready_after(3s));
}

}  // namespace
}  // namespace hso::runtime
