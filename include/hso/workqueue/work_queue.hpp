#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "hso/metrics/sinks.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"
#include "hso/workqueue/rate_limiter.hpp"

namespace hso::workqueue {

struct WorkQueueOptions {
  RateLimitPolicy rate_limits;
  // A thread moves delayed keys into the queue when they fall due. Tests on a FakeClock turn it
  // off and call promote_due() themselves.
  bool run_delay_thread = true;
};

// A queue of keys ("namespace/name") for workers:
// - a key added again while it waits is folded into the waiting one;
// - a key handed to a worker is not handed to another until done(); if it is added meanwhile it
//   is queued again by done();
// - add_after / add_rate_limited hold a key back for a while (per-key exponential backoff plus
//   an overall bucket for the latter; forget() clears a key's failures).
// Thread-safe.
class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {}, const Clock& clock = SystemClock::instance(),
                     metrics::QueueMetrics* metrics = nullptr);
  ~WorkQueue();

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(const std::string& key);
  void add_after(const std::string& key, Clock::Duration delay);
  void add_rate_limited(const std::string& key);
  void forget(const std::string& key);
  int failures(const std::string& key) const;

  // Blocks until a key is ready; nullopt once the queue is shut down or `stop` is requested.
  std::optional<std::string> get(std::stop_token stop = {});
  // The worker has finished with `key` (successfully or not).
  void done(const std::string& key);

  // Stops taking keys, drops the waiting and delayed ones and wakes every get() with nullopt.
  // Dropping is safe because the work is level-triggered: whoever runs next lists everything.
  void shut_down();
  // shut_down(), then waits until every key handed out has been done() or `stop` is requested.
  // Returns true when nothing is in flight any more.
  bool shut_down_with_drain(std::stop_token stop = {});
  bool is_shut_down() const;
  // Takes keys again after a shut_down() (a replica that stepped down and leads again). Call only
  // once the workers of the previous run have been joined.
  void reopen();

  // Keys ready for a worker.
  std::size_t depth() const;
  // Keys waiting for their delay to pass.
  std::size_t delayed() const;
  std::size_t in_flight() const;

  // Moves every delayed key whose time has come into the queue; returns when the next one falls
  // due. The delay thread calls this; tests on a FakeClock may too.
  std::optional<Clock::TimePoint> promote_due();
  // Makes the delay thread look at the clock again (after a FakeClock moved).
  void wake_delay_thread();

  // The age of the oldest key in flight, zero when none is.
  Clock::Duration longest_running() const;
  // Sets the polled gauges (longest running, unfinished work); the metrics layer calls this
  // before each scrape.
  void report_gauges();

 private:
  struct DelayedKey {
    Clock::TimePoint due;
    std::uint64_t sequence;  // keeps keys with equal due times in FIFO order
    std::string key;
    bool operator>(const DelayedKey& other) const {
      return due != other.due ? due > other.due : sequence > other.sequence;
    }
  };

  void add_locked(const std::string& key, Clock::TimePoint now) HSO_REQUIRES(mutex_);
  std::optional<Clock::TimePoint> promote_due_locked(Clock::TimePoint now) HSO_REQUIRES(mutex_);
  void delay_loop(std::stop_token stop);

  void start_delay_thread();

  const Clock& clock_;
  metrics::QueueMetrics& metrics_;
  const bool run_delay_thread_;
  RetryRateLimiter rate_limiter_;

  mutable Mutex mutex_;
  std::condition_variable_any key_ready_;
  std::condition_variable_any delay_changed_;
  std::condition_variable_any drained_;
  bool shut_down_ HSO_GUARDED_BY(mutex_) = false;
  bool delay_dirty_ HSO_GUARDED_BY(mutex_) = false;

  std::deque<std::string> ready_ HSO_GUARDED_BY(mutex_);
  // Keys that need processing (ready, or re-added while in flight) -> when first added.
  std::unordered_map<std::string, Clock::TimePoint> waiting_since_ HSO_GUARDED_BY(mutex_);
  // Keys handed to a worker -> when.
  std::unordered_map<std::string, Clock::TimePoint> in_flight_since_ HSO_GUARDED_BY(mutex_);
  // Min-heap with lazy deletion: an entry counts only if it matches delayed_due_.
  std::priority_queue<DelayedKey, std::vector<DelayedKey>, std::greater<>> delayed_heap_
      HSO_GUARDED_BY(mutex_);
  std::unordered_map<std::string, Clock::TimePoint> delayed_due_ HSO_GUARDED_BY(mutex_);
  std::uint64_t next_sequence_ HSO_GUARDED_BY(mutex_) = 0;

  // Replaced only by reopen(), which runs after the previous workers are joined, on the thread
  // that starts them; no lock.
  std::jthread delay_thread_;  // last: it uses everything above
};

}  // namespace hso::workqueue
