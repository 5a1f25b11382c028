#include <gtest/gtest.h>

#include <chrono>

#include "hso/controller/work_outcome.hpp"

namespace hso::controller {
namespace {

using namespace std::chrono_literals;
using reconciler::ReconcileOutcome;

workqueue::WorkQueueOptions manual_delays() {
  workqueue::WorkQueueOptions options;
  options.run_delay_thread = false;
  return options;
}

// A key taken by a worker, as settle() finds it.
void take(workqueue::WorkQueue& queue, const std::string& key) {
  queue.add(key);
  ASSERT_EQ(queue.get(), key);
}

TEST(ControllerWorkOutcomeTest, NotLeadingComesBackAfterItsDelayWithoutBackoff) {
  FakeClock clock;
  workqueue::WorkQueue queue(manual_delays(), clock);
  take(queue, "ns/a");
  settle(queue, "ns/a", ReconcileOutcome::retry("earlier failure"));
  queue.done("ns/a");
  ASSERT_EQ(queue.failures("ns/a"), 1);

  clock.advance(1h);
  queue.promote_due();
  ASSERT_EQ(queue.get(), "ns/a");
  settle(queue, "ns/a", ReconcileOutcome::not_leading(1s));
  queue.done("ns/a");
  EXPECT_EQ(queue.failures("ns/a"), 0) << "a withheld write is not a failure";
  EXPECT_EQ(queue.delayed(), 1u);
  EXPECT_EQ(queue.depth(), 0u);
  clock.advance(1s);
  queue.promote_due();
  EXPECT_EQ(queue.depth(), 1u);
}

TEST(ControllerWorkOutcomeTest, RetryCountsAFailureAndDoneForgetsIt) {
  FakeClock clock;
  workqueue::WorkQueue queue(manual_delays(), clock);
  take(queue, "ns/a");
  settle(queue, "ns/a", ReconcileOutcome::retry("boom"));
  queue.done("ns/a");
  EXPECT_EQ(queue.failures("ns/a"), 1);
  EXPECT_EQ(queue.delayed(), 1u);

  clock.advance(1h);
  queue.promote_due();
  ASSERT_EQ(queue.get(), "ns/a");
  settle(queue, "ns/a", ReconcileOutcome::done());
  queue.done("ns/a");
  EXPECT_EQ(queue.failures("ns/a"), 0);
  EXPECT_EQ(queue.delayed() + queue.depth(), 0u);
}

TEST(ControllerWorkOutcomeTest, RequeueAfterWaitsItsDelay) {
  FakeClock clock;
  workqueue::WorkQueue queue(manual_delays(), clock);
  take(queue, "ns/a");
  settle(queue, "ns/a", ReconcileOutcome::requeue_after(5s, "conflict"));
  queue.done("ns/a");
  clock.advance(4s);
  queue.promote_due();
  EXPECT_EQ(queue.depth(), 0u);
  clock.advance(1s);
  queue.promote_due();
  EXPECT_EQ(queue.depth(), 1u);
}

}  // namespace
}  // namespace hso::controller
