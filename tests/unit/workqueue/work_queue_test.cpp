#include "hso/workqueue/work_queue.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hso::workqueue {
namespace {

using namespace std::chrono_literals;

// get() with a deadline: a watchdog requests stop if no key arrives in time.
std::optional<std::string> get_within(WorkQueue& queue, std::chrono::milliseconds timeout = 10s) {
  std::stop_source stop;
  std::mutex mutex;
  std::condition_variable_any finished;
  bool done = false;
  std::jthread watchdog([&](std::stop_token watchdog_stop) {
    std::unique_lock lock(mutex);
    if (!finished.wait_for(lock, watchdog_stop, timeout, [&] { return done; })) {
      stop.request_stop();
    }
  });
  auto key = queue.get(stop.get_token());
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  finished.notify_all();
  return key;
}

WorkQueueOptions manual_delays() {
  WorkQueueOptions options;
  options.run_delay_thread = false;
  return options;
}

class RecordingQueueMetrics final : public metrics::QueueMetrics {
 public:
  void added() override { ++adds; }
  void set_depth(std::size_t value) override { depth = value; }
  void retried() override { ++retries; }
  void waited(metrics::Seconds value) override { waits.push_back(value); }
  void worked(metrics::Seconds value) override { works.push_back(value); }
  void set_longest_running(metrics::Seconds value) override { longest = value; }
  void set_unfinished_work(metrics::Seconds value) override { unfinished = value; }

  int adds = 0;
  std::size_t depth = 0;
  int retries = 0;
  std::vector<metrics::Seconds> waits;
  std::vector<metrics::Seconds> works;
  metrics::Seconds longest{-1};
  metrics::Seconds unfinished{-1};
};

TEST(WorkqueueQueueTest, DuplicatesFoldWhileWaitingAndOrderIsFifo) {
  WorkQueue queue(manual_delays());
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  EXPECT_EQ(queue.depth(), 2u);
  EXPECT_EQ(queue.get(), "ns/a");
  EXPECT_EQ(queue.get(), "ns/b");
  EXPECT_EQ(queue.depth(), 0u);
}

TEST(WorkqueueQueueTest, KeyInFlightIsRequeuedOnlyAfterDone) {
  WorkQueue queue(manual_delays());
  queue.add("ns/a");
  ASSERT_EQ(queue.get(), "ns/a");
  queue.add("ns/a");
  queue.add("ns/a");
  EXPECT_EQ(queue.depth(), 0u);  // not handed to a second worker
  EXPECT_EQ(queue.in_flight(), 1u);
  queue.done("ns/a");
  EXPECT_EQ(queue.depth(), 1u);  // the two re-adds folded into one
  EXPECT_EQ(queue.get(), "ns/a");
  queue.done("ns/a");
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(queue.in_flight(), 0u);
}

TEST(WorkqueueQueueTest, DoneForUnknownKeyIsHarmless) {
  WorkQueue queue(manual_delays());
  queue.done("ns/never");
  queue.add("ns/a");
  queue.done("ns/a");  // waiting, not in flight
  EXPECT_EQ(queue.get(), "ns/a");
}

TEST(WorkqueueQueueTest, NoKeyIsProcessedByTwoWorkersAtOnce) {
  WorkQueue queue;
  constexpr int kKeys = 5;
  constexpr int kAddsPerKey = 300;
  std::array<std::atomic<int>, kKeys> active{};
  std::atomic<int> overlaps{0};
  std::atomic<int> processed{0};

  std::vector<std::jthread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        const int index = (*key)[0] - 'a';
        if (active[index].fetch_add(1) != 0) {
          ++overlaps;
        }
        std::this_thread::yield();
        active[index].fetch_sub(1);
        ++processed;
        queue.done(*key);
      }
    });
  }
  for (int round = 0; round < kAddsPerKey; ++round) {
    for (int k = 0; k < kKeys; ++k) {
      queue.add(std::string(1, static_cast<char>('a' + k)));
    }
  }
  // Every key gets processed at least once after its last add: wait for the queue to empty.
  std::mutex mutex;
  std::condition_variable_any idle;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((queue.depth() > 0 || queue.in_flight() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::unique_lock lock(mutex);
    idle.wait_for(lock, 1ms, [] { return false; });
  }
  EXPECT_TRUE(queue.shut_down_with_drain());
  workers.clear();
  EXPECT_EQ(overlaps, 0);
  EXPECT_GE(processed, kKeys);
}

TEST(WorkqueueQueueTest, AddAfterWaitsForTheFakeClock) {
  FakeClock clock;
  WorkQueue queue(manual_delays(), clock);
  queue.add_after("ns/a", 10s);
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(queue.delayed(), 1u);
  EXPECT_EQ(queue.promote_due(), clock.now() + 10s);

  clock.advance(9s);
  queue.promote_due();
  EXPECT_EQ(queue.depth(), 0u);

  clock.advance(1s);
  EXPECT_EQ(queue.promote_due(), std::nullopt);
  EXPECT_EQ(queue.depth(), 1u);
  EXPECT_EQ(queue.delayed(), 0u);
  EXPECT_EQ(queue.get(), "ns/a");
}

TEST(WorkqueueQueueTest, AddAfterKeepsTheEarliestDueTime) {
  FakeClock clock;
  WorkQueue queue(manual_delays(), clock);
  queue.add_after("ns/a", 10s);
  queue.add_after("ns/a", 20s);  // later: ignored
  queue.add_after("ns/a", 5s);   // sooner: wins
  EXPECT_EQ(queue.delayed(), 1u);
  clock.advance(5s);
  queue.promote_due();
  ASSERT_EQ(queue.depth(), 1u);
  EXPECT_EQ(queue.get(), "ns/a");
  queue.done("ns/a");
  clock.advance(30s);
  queue.promote_due();
  EXPECT_EQ(queue.depth(), 0u);  // the superseded entries do not fire again
}

TEST(WorkqueueQueueTest, AddAfterWithoutDelayAddsAtOnce) {
  WorkQueue queue(manual_delays());
  queue.add_after("ns/a", 0s);
  queue.add_after("ns/b", -1s);
  EXPECT_EQ(queue.depth(), 2u);
}

TEST(WorkqueueQueueTest, DelayThreadPromotesWhenTheFakeClockMoves) {
  FakeClock clock;
  WorkQueue queue({}, clock);
  queue.add_after("ns/a", 1h);
  clock.advance(1h);
  queue.wake_delay_thread();
  EXPECT_EQ(get_within(queue), "ns/a");
}

TEST(WorkqueueQueueTest, DelayThreadPromotesOnTheSystemClock) {
  WorkQueue queue;
  queue.add_after("ns/a", 20ms);
  queue.add_after("ns/b", 1ms);
  EXPECT_EQ(get_within(queue), "ns/b");
  EXPECT_EQ(get_within(queue), "ns/a");
}

TEST(WorkqueueQueueTest, RateLimitedAddsBackOffPerKeyUntilForgotten) {
  FakeClock clock;
  RecordingQueueMetrics metrics;
  WorkQueue queue(manual_delays(), clock, &metrics);

  queue.add_rate_limited("ns/a");
  EXPECT_EQ(queue.failures("ns/a"), 1);
  EXPECT_EQ(queue.promote_due(), clock.now() + 100ms);
  queue.add_rate_limited("ns/a");  // due in 200ms: the 100ms entry stays
  EXPECT_EQ(queue.promote_due(), clock.now() + 100ms);
  clock.advance(100ms);
  queue.promote_due();
  ASSERT_EQ(queue.get(), "ns/a");
  queue.add_rate_limited("ns/a");
  EXPECT_EQ(queue.promote_due(), clock.now() + 400ms);
  queue.done("ns/a");

  queue.forget("ns/a");
  EXPECT_EQ(queue.failures("ns/a"), 0);
  clock.advance(400ms);
  queue.promote_due();
  ASSERT_EQ(queue.get(), "ns/a");
  queue.add_rate_limited("ns/a");
  EXPECT_EQ(queue.promote_due(), clock.now() + 100ms);
  EXPECT_EQ(metrics.retries, 4);
}

TEST(WorkqueueQueueTest, ShutDownWakesEveryGetterAndRefusesNewKeys) {
  WorkQueue queue;
  std::atomic<int> woken{0};
  {
    std::vector<std::jthread> getters;
    for (int i = 0; i < 3; ++i) {
      getters.emplace_back([&] {
        if (!queue.get()) {
          ++woken;
        }
      });
    }
    queue.shut_down();
  }  // joins: hangs here if a getter was not woken
  EXPECT_EQ(woken, 3);
  EXPECT_TRUE(queue.is_shut_down());
  queue.add("ns/a");
  queue.add_after("ns/b", 1s);
  queue.add_rate_limited("ns/c");
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(queue.delayed(), 0u);
  EXPECT_EQ(queue.get(), std::nullopt);
}

TEST(WorkqueueQueueTest, ShutDownDropsWaitingKeys) {
  WorkQueue queue(manual_delays());
  queue.add("ns/a");
  queue.add_after("ns/b", 1s);
  queue.shut_down();
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(queue.delayed(), 0u);
  EXPECT_EQ(queue.get(), std::nullopt);
}

TEST(WorkqueueQueueTest, GetReturnsNothingWhenStopped) {
  WorkQueue queue;
  std::stop_source stop;
  std::jthread getter([&] { EXPECT_EQ(queue.get(stop.get_token()), std::nullopt); });
  stop.request_stop();
}

TEST(WorkqueueQueueTest, DrainWaitsForKeysInFlight) {
  WorkQueue queue(manual_delays());
  queue.add("ns/a");
  ASSERT_EQ(queue.get(), "ns/a");
  std::atomic<bool> finished_work{false};
  std::atomic<bool> drained{false};
  std::jthread drainer([&] {
    drained = queue.shut_down_with_drain();
    EXPECT_TRUE(finished_work);
  });
  // The drainer may or may not have started waiting; either way it must not return first.
  while (!queue.is_shut_down()) {
    std::this_thread::yield();
  }
  queue.add("ns/a");  // refused: shutting down
  finished_work = true;
  queue.done("ns/a");
  drainer.join();
  EXPECT_TRUE(drained);
  EXPECT_EQ(queue.get(), std::nullopt);
}

TEST(WorkqueueQueueTest, DrainGivesUpWhenStopped) {
  WorkQueue queue(manual_delays());
  queue.add("ns/a");
  ASSERT_EQ(queue.get(), "ns/a");
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(queue.shut_down_with_drain(stop.get_token()));
  queue.done("ns/a");
}

TEST(WorkqueueQueueTest, ReportsMetrics) {
  FakeClock clock;
  RecordingQueueMetrics metrics;
  WorkQueue queue(manual_delays(), clock, &metrics);

  queue.add("ns/a");
  queue.add("ns/a");  // folded: not an add
  queue.add("ns/b");
  EXPECT_EQ(metrics.adds, 2);
  EXPECT_EQ(metrics.depth, 2u);

  clock.advance(3s);
  ASSERT_EQ(queue.get(), "ns/a");
  EXPECT_EQ(metrics.depth, 1u);
  ASSERT_EQ(metrics.waits.size(), 1u);
  EXPECT_DOUBLE_EQ(metrics.waits[0].count(), 3.0);

  clock.advance(2s);
  ASSERT_EQ(queue.get(), "ns/b");
  clock.advance(1s);
  EXPECT_EQ(queue.longest_running(), 3s);
  queue.report_gauges();
  EXPECT_DOUBLE_EQ(metrics.longest.count(), 3.0);
  EXPECT_DOUBLE_EQ(metrics.unfinished.count(), 4.0);

  queue.done("ns/a");
  ASSERT_EQ(metrics.works.size(), 1u);
  EXPECT_DOUBLE_EQ(metrics.works[0].count(), 3.0);
  queue.done("ns/b");
  queue.report_gauges();
  EXPECT_DOUBLE_EQ(metrics.longest.count(), 0.0);
  EXPECT_EQ(queue.longest_running(), 0s);
}

}  // namespace
}  // namespace hso::workqueue
