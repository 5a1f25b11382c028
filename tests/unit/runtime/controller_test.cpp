#include "hso/runtime/controller.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/wait.hpp"

namespace hso::runtime {
namespace {

using namespace std::chrono_literals;
using test::wait_until;

constexpr auto kDeadline = 10s;

// Watches that sync when the test says so and know a fixed set of keys.
class FakeKeySource final : public KeySource {
 public:
  explicit FakeKeySource(std::vector<std::string> keys) : keys_(std::move(keys)) {}

  bool wait_for_sync(std::stop_token stop) const override {
    std::unique_lock lock(mutex_);
    waiting_ = true;
    return synced_changed_.wait(lock, stop, [this] { return synced_; });
  }
  void list_keys(const KeySink& add) const override {
    for (const auto& key : keys_)
      add(key);
    ++passes_;
  }

  void sync() {
    {
      std::lock_guard lock(mutex_);
      synced_ = true;
    }
    synced_changed_.notify_all();
  }
  bool waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  int passes() const { return passes_; }

 private:
  const std::vector<std::string> keys_;
  mutable std::mutex mutex_;
  mutable std::condition_variable_any synced_changed_;
  mutable bool waiting_ = false;
  bool synced_ = false;
  mutable std::atomic<int> passes_{0};
};

// Reconciles each key to the outcomes it is given, in turn (done once they run out), and counts
// the calls. A key in `held` waits in its reconcile until release().
class FakeReconciler final : public KeyReconciler {
 public:
  explicit FakeReconciler(const FakeKeySource& source) : source_(source) {}

  WorkOutcome reconcile(const std::string& key) override {
    std::unique_lock lock(mutex_);
    if (passes_at_first_call_ < 0)
      passes_at_first_call_ = source_.passes();
    ++calls_[key];
    if (held_.contains(key)) {
      ++in_hold_;
      released_.wait(lock, [this] { return !holding_; });
      --in_hold_;
      ++finished_holds_;
    }
    auto& outcomes = outcomes_[key];
    if (outcomes.empty())
      return WorkOutcome::done();
    const WorkOutcome outcome = outcomes.front();
    outcomes.erase(outcomes.begin());
    if (outcome.why == "throw")
      throw std::runtime_error("the API server went away");
    return outcome;
  }

  void answer(const std::string& key, std::vector<WorkOutcome> outcomes) {
    std::lock_guard lock(mutex_);
    outcomes_[key] = std::move(outcomes);
  }
  void hold(const std::string& key) {
    std::lock_guard lock(mutex_);
    held_.insert(key);
    holding_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    released_.notify_all();
  }
  int calls(const std::string& key) const {
    std::lock_guard lock(mutex_);
    const auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second;
  }
  int in_hold() const {
    std::lock_guard lock(mutex_);
    return in_hold_;
  }
  int finished_holds() const {
    std::lock_guard lock(mutex_);
    return finished_holds_;
  }
  int passes_at_first_call() const {
    std::lock_guard lock(mutex_);
    return passes_at_first_call_;
  }

 private:
  const FakeKeySource& source_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::map<std::string, int> calls_;
  std::map<std::string, std::vector<WorkOutcome>> outcomes_;
  std::set<std::string> held_;
  bool holding_ = false;
  int in_hold_ = 0;
  int finished_holds_ = 0;
  int passes_at_first_call_ = -1;
};

// The resync's wait, stepped by the test: each wait lasts until step() (or a stop request).
class SteppedWait {
 public:
  Sleeper sleeper() {
    return [this](Clock::Duration period, std::stop_token stop) {
      std::unique_lock lock(mutex_);
      periods_.push_back(period);
      const int ticket = steps_;
      ++waiting_;
      const bool stepped = changed_.wait(lock, stop, [&] { return steps_ > ticket; });
      --waiting_;
      return stepped;
    };
  }
  void step() {
    {
      std::lock_guard lock(mutex_);
      ++steps_;
    }
    changed_.notify_all();
  }
  int waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  std::vector<Clock::Duration> periods() const {
    std::lock_guard lock(mutex_);
    return periods_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::vector<Clock::Duration> periods_;
  int steps_ = 0;
  int waiting_ = 0;
};

class RuntimeControllerTest : public ::testing::Test {
 protected:
  // A reconcile still held would keep the workers from being joined.
  ~RuntimeControllerTest() override { reconciler.release(); }

  WorkerOptions worker_options() {
    WorkerOptions options;
    options.workers = 2;
    options.resync_period = 7min;
    options.resync_wait = resync.sleeper();
    // Delayed keys move only when the test moves the clock and promotes them.
    options.queue.run_delay_thread = false;
    return options;
  }
  // The workers run and every key of the source has been reconciled once.
  void start_and_sync() {
    controller.start_workers();
    source.sync();
    ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/a") >= 1; }, kDeadline));
    ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/b") >= 1; }, kDeadline));
  }

  FakeClock clock;
  FakeKeySource source{std::vector<std::string>{"ns/a", "ns/b"}};
  FakeReconciler reconciler{source};
  SteppedWait resync;
  Controller controller{source, reconciler, worker_options(), clock};
};

TEST_F(RuntimeControllerTest, WorkersStartOnlyOnceTheSourceHasSyncedAndAfterAPassOverEveryKey) {
  controller.start_workers();
  ASSERT_TRUE(wait_until([&] { return source.waiting(); }, kDeadline));
  controller.queue().add("ns/early");
  EXPECT_EQ(controller.workers_running(), 0u) << "no worker before the sync";
  EXPECT_EQ(source.passes(), 0);
  EXPECT_EQ(reconciler.calls("ns/early"), 0);

  source.sync();
  ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/early") == 1; }, kDeadline));
  ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/a") == 1; }, kDeadline));
  ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/b") == 1; }, kDeadline));
  EXPECT_EQ(reconciler.passes_at_first_call(), 1) << "every key is queued before any worker runs";
  EXPECT_EQ(controller.workers_running(), 2u);
}

TEST_F(RuntimeControllerTest, AKeyAddedLaterIsReconciled) {
  start_and_sync();
  controller.queue().add("ns/c");
  EXPECT_TRUE(wait_until([&] { return reconciler.calls("ns/c") == 1; }, kDeadline));
}

TEST_F(RuntimeControllerTest, ARetryComesBackAfterTheRateLimitWithAFailureCounted) {
  reconciler.answer("ns/a", {WorkOutcome::retry("conflict")});
  start_and_sync();
  auto& queue = controller.queue();
  ASSERT_TRUE(
      wait_until([&] { return queue.failures("ns/a") == 1 && queue.delayed() == 1; }, kDeadline));
  clock.advance(99ms);  // the policy's base delay is 100 ms
  queue.promote_due();
  EXPECT_EQ(queue.delayed(), 1u) << "held back for the base delay";
  clock.advance(1ms);
  queue.promote_due();
  ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/a") == 2; }, kDeadline));
  EXPECT_TRUE(wait_until([&] { return queue.failures("ns/a") == 0; }, kDeadline))
      << "done forgets the failure";
}

TEST_F(RuntimeControllerTest, AnExceptionIsARetry) {
  reconciler.answer("ns/a", {WorkOutcome::retry("throw")});
  start_and_sync();
  EXPECT_TRUE(wait_until(
      [&] { return controller.queue().failures("ns/a") == 1 && controller.queue().delayed() == 1; },
      kDeadline));
}

TEST_F(RuntimeControllerTest, EachResyncPeriodQueuesEveryKeyAgain) {
  start_and_sync();
  ASSERT_TRUE(wait_until([&] { return resync.waiting() == 1; }, kDeadline));
  EXPECT_EQ(source.passes(), 1);
  ASSERT_EQ(resync.periods().size(), 1u);
  EXPECT_EQ(resync.periods()[0], 7min);

  resync.step();
  ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/a") == 2; }, kDeadline));
  ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/b") == 2; }, kDeadline));
  EXPECT_EQ(source.passes(), 2);
}

TEST_F(RuntimeControllerTest, DrainWaitsForTheReconcileInFlight) {
  reconciler.hold("ns/a");
  start_and_sync();
  ASSERT_TRUE(wait_until([&] { return reconciler.in_hold() == 1; }, kDeadline));
  auto drained = std::async(std::launch::async, [&] { return controller.drain(60s); });
  ASSERT_TRUE(wait_until([&] { return controller.queue().is_shut_down(); }, kDeadline));
  EXPECT_EQ(reconciler.finished_holds(), 0);
  reconciler.release();
  EXPECT_TRUE(drained.get());
  EXPECT_EQ(reconciler.finished_holds(), 1) << "drain returned before the reconcile ended";
  EXPECT_EQ(controller.queue().in_flight(), 0u);
}

TEST_F(RuntimeControllerTest, DrainReportsReconcilesStillRunningAtItsBound) {
  reconciler.hold("ns/a");
  start_and_sync();
  ASSERT_TRUE(wait_until([&] { return reconciler.in_hold() == 1; }, kDeadline));
  EXPECT_FALSE(controller.drain(20ms));
  EXPECT_EQ(controller.queue().in_flight(), 1u);
  reconciler.release();
}

TEST_F(RuntimeControllerTest, StoppedWorkersStartAgainWithANewPassOverEveryKey) {
  start_and_sync();
  controller.stop_workers();
  EXPECT_EQ(controller.workers_running(), 0u);
  EXPECT_TRUE(controller.queue().is_shut_down());

  controller.start_workers();
  ASSERT_TRUE(wait_until([&] { return reconciler.calls("ns/a") == 2; }, kDeadline));
  EXPECT_EQ(source.passes(), 2);
  EXPECT_EQ(controller.workers_running(), 2u);
  controller.queue().add("ns/c");
  EXPECT_TRUE(wait_until([&] { return reconciler.calls("ns/c") == 1; }, kDeadline));
}

TEST_F(RuntimeControllerTest, NothingStartsAfterStop) {
  start_and_sync();
  controller.stop();
  controller.start_workers();
  EXPECT_TRUE(controller.queue().is_shut_down()) << "start_workers() reopened the queue";
  EXPECT_EQ(controller.workers_running(), 0u);
}

}  // namespace
}  // namespace hso::runtime
