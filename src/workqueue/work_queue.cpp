#include "hso/workqueue/work_queue.hpp"

#include <algorithm>
#include <chrono>

namespace hso::workqueue {
namespace {

metrics::QueueMetrics& noop_metrics() {
  static metrics::QueueMetrics metrics;
  return metrics;
}

metrics::Seconds seconds(Clock::Duration duration) {
  return std::chrono::duration_cast<metrics::Seconds>(duration);
}

}  // namespace

WorkQueue::WorkQueue(WorkQueueOptions options, const Clock& clock, metrics::QueueMetrics* metrics)
    : clock_(clock),
      metrics_(metrics != nullptr ? *metrics : noop_metrics()),
      run_delay_thread_(options.run_delay_thread),
      rate_limiter_(options.rate_limits, clock) {
  start_delay_thread();
}

void WorkQueue::start_delay_thread() {
  if (run_delay_thread_) {
    delay_thread_ = std::jthread([this](std::stop_token stop) { delay_loop(stop); });
  }
}

WorkQueue::~WorkQueue() {
  shut_down();
  if (delay_thread_.joinable()) {
    delay_thread_.request_stop();
    delay_thread_.join();
  }
}

void WorkQueue::add(const std::string& key) {
  MutexLock lock(mutex_);
  add_locked(key, clock_.now());
}

void WorkQueue::add_locked(const std::string& key, Clock::TimePoint now) {
  if (shut_down_) {
    return;
  }
  if (!waiting_since_.try_emplace(key, now).second) {
    return;  // folded into the waiting one
  }
  metrics_.added();
  if (in_flight_since_.contains(key)) {
    return;  // done() queues it again
  }
  ready_.push_back(key);
  metrics_.set_depth(ready_.size());
  key_ready_.notify_one();
}

void WorkQueue::add_after(const std::string& key, Clock::Duration delay) {
  if (delay <= Clock::Duration::zero()) {
    add(key);
    return;
  }
  MutexLock lock(mutex_);
  if (shut_down_) {
    return;
  }
  const Clock::TimePoint due = clock_.now() + delay;
  const auto [it, inserted] = delayed_due_.try_emplace(key, due);
  if (!inserted) {
    if (it->second <= due) {
      return;  // already due sooner
    }
    it->second = due;
  }
  delayed_heap_.push(DelayedKey{due, next_sequence_++, key});
  delay_dirty_ = true;
  delay_changed_.notify_one();
}

void WorkQueue::add_rate_limited(const std::string& key) {
  metrics_.retried();
  add_after(key, rate_limiter_.next_delay(key));
}

void WorkQueue::forget(const std::string& key) {
  rate_limiter_.forget(key);
}

int WorkQueue::failures(const std::string& key) const {
  return rate_limiter_.failures(key);
}

std::optional<std::string> WorkQueue::get(std::stop_token stop) {
  MutexLock lock(mutex_);
  key_ready_.wait(lock, stop,
                  [this]() HSO_REQUIRES(mutex_) { return shut_down_ || !ready_.empty(); });
  if (shut_down_ || ready_.empty()) {
    return std::nullopt;
  }
  std::string key = std::move(ready_.front());
  ready_.pop_front();
  const Clock::TimePoint now = clock_.now();
  if (const auto waiting = waiting_since_.find(key); waiting != waiting_since_.end()) {
    metrics_.waited(seconds(now - waiting->second));
    waiting_since_.erase(waiting);
  }
  in_flight_since_.insert_or_assign(key, now);
  metrics_.set_depth(ready_.size());
  return key;
}

void WorkQueue::done(const std::string& key) {
  MutexLock lock(mutex_);
  const auto it = in_flight_since_.find(key);
  if (it == in_flight_since_.end()) {
    return;
  }
  metrics_.worked(seconds(clock_.now() - it->second));
  in_flight_since_.erase(it);
  if (!shut_down_ && waiting_since_.contains(key)) {
    ready_.push_back(key);
    metrics_.set_depth(ready_.size());
    key_ready_.notify_one();
  }
  if (in_flight_since_.empty()) {
    drained_.notify_all();
  }
}

void WorkQueue::shut_down() {
  {
    MutexLock lock(mutex_);
    if (shut_down_) {
      return;
    }
    shut_down_ = true;
    ready_.clear();
    waiting_since_.clear();
    delayed_heap_ = {};
    delayed_due_.clear();
    metrics_.set_depth(0);
  }
  key_ready_.notify_all();
  delay_changed_.notify_all();
}

bool WorkQueue::shut_down_with_drain(std::stop_token stop) {
  shut_down();
  MutexLock lock(mutex_);
  return drained_.wait(lock, stop,
                       [this]() HSO_REQUIRES(mutex_) { return in_flight_since_.empty(); });
}

void WorkQueue::reopen() {
  {
    MutexLock lock(mutex_);
    if (!shut_down_) {
      return;
    }
    shut_down_ = false;
  }
  // The delay thread ends at shut_down(); whether it has yet or not, replace it.
  if (delay_thread_.joinable()) {
    delay_thread_.request_stop();
    delay_thread_.join();
  }
  start_delay_thread();
}

bool WorkQueue::is_shut_down() const {
  MutexLock lock(mutex_);
  return shut_down_;
}

std::size_t WorkQueue::depth() const {
  MutexLock lock(mutex_);
  return ready_.size();
}

std::size_t WorkQueue::delayed() const {
  MutexLock lock(mutex_);
  return delayed_due_.size();
}

std::size_t WorkQueue::in_flight() const {
  MutexLock lock(mutex_);
  return in_flight_since_.size();
}

std::optional<Clock::TimePoint> WorkQueue::promote_due() {
  MutexLock lock(mutex_);
  return promote_due_locked(clock_.now());
}

std::optional<Clock::TimePoint> WorkQueue::promote_due_locked(Clock::TimePoint now) {
  while (!delayed_heap_.empty()) {
    const DelayedKey& top = delayed_heap_.top();
    const auto due = delayed_due_.find(top.key);
    if (due == delayed_due_.end() || due->second != top.due) {
      delayed_heap_.pop();  // superseded by an earlier add_after
      continue;
    }
    if (top.due > now) {
      return top.due;
    }
    delayed_due_.erase(due);
    const std::string key = top.key;
    delayed_heap_.pop();
    add_locked(key, now);
  }
  return std::nullopt;
}

void WorkQueue::wake_delay_thread() {
  {
    MutexLock lock(mutex_);
    delay_dirty_ = true;
  }
  delay_changed_.notify_one();
}

void WorkQueue::delay_loop(std::stop_token stop) {
  MutexLock lock(mutex_);
  while (!stop.stop_requested() && !shut_down_) {
    delay_dirty_ = false;
    const std::optional<Clock::TimePoint> next_due = promote_due_locked(clock_.now());
    const auto woken = [this]() HSO_REQUIRES(mutex_) { return delay_dirty_ || shut_down_; };
    if (!next_due) {
      delay_changed_.wait(lock, stop, woken);
    } else {
      // The injected clock may not be the steady clock (tests): wait for the remaining time as
      // the steady clock measures it.
      const auto deadline = std::chrono::steady_clock::now() + (*next_due - clock_.now());
      delay_changed_.wait_until(lock, stop, deadline, woken);
    }
  }
}

Clock::Duration WorkQueue::longest_running() const {
  MutexLock lock(mutex_);
  const Clock::TimePoint now = clock_.now();
  Clock::Duration longest = Clock::Duration::zero();
  for (const auto& [key, since] : in_flight_since_) {
    longest = std::max(longest, now - since);
  }
  return longest;
}

void WorkQueue::report_gauges() {
  MutexLock lock(mutex_);
  const Clock::TimePoint now = clock_.now();
  Clock::Duration longest = Clock::Duration::zero();
  Clock::Duration unfinished = Clock::Duration::zero();
  for (const auto& [key, since] : in_flight_since_) {
    longest = std::max(longest, now - since);
    unfinished += now - since;
  }
  metrics_.set_longest_running(seconds(longest));
  metrics_.set_unfinished_work(seconds(unfinished));
}

}  // namespace hso::workqueue
