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
    runtime::settle(queue, kKey, work_outcome(outcome));
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

TEST(ControllerWorkOutcomeMappingTest, EachReconcileOutcomeAsksTheQueueForItsKind) {
  using Kind = runtime::WorkOutcome::Kind;
  EXPECT_EQ(work_outcome(ReconcileOutcome::done()).kind, Kind::kDone);
  const auto requeue = work_outcome(ReconcileOutcome::requeue_after(5s, "conflict"));
  EXPECT_EQ(requeue.kind, Kind::kRequeueAfter);
  EXPECT_EQ(requeue.delay, 5s);
  const auto waiting = work_outcome(ReconcileOutcome::wait_for_caches(10s, "writes unseen"));
  EXPECT_EQ(waiting.kind, Kind::kRequeueAfter);
  EXPECT_EQ(waiting.delay, 10s);
  const auto withheld = work_outcome(ReconcileOutcome::not_leading(1s));
  EXPECT_EQ(withheld.kind, Kind::kRequeueAfter);
  EXPECT_EQ(withheld.delay, 1s);
  const auto retry = work_outcome(ReconcileOutcome::retry("boom"));
  EXPECT_EQ(retry.kind, Kind::kRetry);
  EXPECT_EQ(retry.why, "boom");
}

}  // namespace
}  // namespace hso::controller
