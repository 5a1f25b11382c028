#include "hso/controller/work_outcome.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace hso::controller {
namespace {

using namespace std::chrono_literals;
using reconciler::ReconcileOutcome;

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
