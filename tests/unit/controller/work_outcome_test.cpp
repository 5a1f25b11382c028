#include "hso/controller/work_outcome.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace hso::controller {
namespace {

using namespace std::chrono_literals;
using reconciler::ReconcileOutcome;

workqueue::WorkQueueOptions manual_delays() {
  workqueue::WorkQueueOptions options;
  options.run_delay_thread = false;
  return options;
}

class ControllerWorkOutcomeTest : public ::testing::Test {
 protected:
  // A worker takes the key (whenever it is due), reconciles it to `outcome` and is done with it.
  void work_once(const ReconcileOutcome& outcome) {
    clock.advance(1h);
    queue.promote_due();
    queue.add(kKey);
    ASSERT_EQ(queue.get(), kKey);
    settle(queue, kKey, outcome);
    queue.done(kKey);
  }
  // Whether the key is ready after `delay` more, and not before.
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

TEST_F(ControllerWorkOutcomeTest, NotLeadingComesBackAfterItsDelayWithoutBackoff) {
  work_once(ReconcileOutcome::retry("an earlier failure"));
  ASSERT_EQ(queue.failures(kKey), 1);
  work_once(ReconcileOutcome::not_leading(1s));
  EXPECT_EQ(queue.failures(kKey), 0) << "a withheld write is not a failure";
  EXPECT_TRUE(ready_after(1s));
}

TEST_F(ControllerWorkOutcomeTest, RetryCountsAFailureAndDoneForgetsIt) {
  work_once(ReconcileOutcome::retry("boom"));
  EXPECT_EQ(queue.failures(kKey), 1);
  EXPECT_EQ(queue.delayed(), 1u);
  work_once(ReconcileOutcome::done());
  EXPECT_EQ(queue.failures(kKey), 0);
  EXPECT_EQ(queue.delayed() + queue.depth(), 0u);
}

TEST_F(ControllerWorkOutcomeTest, RequeueAfterWaitsItsDelay) {
  work_once(ReconcileOutcome::requeue_after(5s, "conflict"));
  EXPECT_TRUE(ready_after(5s));
}

}  // namespace
}  // namespace hso::controller
