#include "hso/runtime/controller.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>
#include <utility>

namespace hso::runtime {

Controller::Controller(KeySource& source, KeyReconciler& reconciler, WorkerOptions options,
                       const Clock& clock, metrics::QueueMetrics* metrics)
    : source_(source),
      reconciler_(reconciler),
      options_(std::move(options)),
      queue_(options_.queue, clock, metrics) {}

Controller::~Controller() {
  stop();
}

void Controller::start_workers() {
  if (stopped_ || workers_started_.exchange(true))
    return;
  queue_.reopen();
  starter_ = std::jthread([this](std::stop_token stop) { run_term(stop); });
}

void Controller::run_term(std::stop_token stop) {
  // Reconciling before every watch has synced would read a partial world (an owned object whose
  // owner is not listed yet would look orphaned), so the workers start only after the sync.
  if (!source_.wait_for_sync(stop))
    return;
  enqueue_all();
  if (!start_worker_threads(stop))
    return;
  spdlog::info("caches synced; {} reconcile workers started", options_.workers);
  // A change the watches cannot see (an object outside them going away) is not an event; a
  // periodic pass over every key picks it up. A pass over a world that matches writes nothing.
  while (options_.resync_wait(options_.resync_period, stop))
    enqueue_all();
}

bool Controller::start_worker_threads(std::stop_token stop) {
  MutexLock lock(workers_mutex_);
  if (stop.stop_requested())
    return false;
  for (int i = 0; i < options_.workers; ++i)
    workers_.emplace_back([this](std::stop_token worker_stop) { work(worker_stop); });
  return true;
}

void Controller::enqueue_all() {
  source_.list_keys([this](const std::string& key) { queue_.add(key); });
}

void Controller::work(std::stop_token stop) {
  while (auto key = queue_.get(stop)) {
    WorkOutcome outcome;
    try {
      outcome = reconciler_.reconcile(*key);
    } catch (const std::exception& error) {
      spdlog::error("reconcile {}: {}", *key, error.what());
      outcome = WorkOutcome::retry(error.what());
    }
    settle(queue_, *key, outcome);
    queue_.done(*key);
  }
}

bool Controller::drain(std::chrono::milliseconds bound) {
  starter_.request_stop();
  if (starter_.joinable())
    starter_.join();
  MutexLock lock(workers_mutex_);
  bool drained = true;
  if (!workers_.empty()) {
    std::stop_source deadline;
    std::jthread timer([&deadline, bound](std::stop_token cancelled) {
      sleep_for(bound, cancelled);
      deadline.request_stop();
    });
    drained = queue_.shut_down_with_drain(deadline.get_token());
    if (!drained)
      spdlog::warn("reconciles still running after the {} ms drain", bound.count());
  }
  queue_.shut_down();
  return drained;
}

void Controller::stop_workers() {
  starter_.request_stop();
  if (starter_.joinable())
    starter_.join();
  queue_.shut_down();
  {
    MutexLock lock(workers_mutex_);
    for (auto& worker : workers_)
      worker.request_stop();
    workers_.clear();  // joins
  }
  workers_started_ = false;
}

void Controller::stop() {
  stopped_ = true;
  stop_workers();
}

std::size_t Controller::workers_running() const {
  MutexLock lock(workers_mutex_);
  return workers_.size();
}

}  // namespace hso::runtime
