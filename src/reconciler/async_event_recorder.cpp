#include "hso/reconciler/async_event_recorder.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace hso::reconciler {

AsyncEventRecorder::AsyncEventRecorder(std::unique_ptr<EventRecorder> inner, std::size_t capacity)
    : inner_(std::move(inner)), capacity_(capacity) {
  sender_ = std::jthread([this](std::stop_token stop) { send_loop(stop); });
}

AsyncEventRecorder::~AsyncEventRecorder() {
  stop();
}

void AsyncEventRecorder::record(const plan::PodInfo& pod, EventType type, std::string_view reason,
                                std::string_view action, std::string_view note) {
  {
    MutexLock lock(mutex_);
    if (stopped_)
      return;
    if (pending_.size() >= capacity_) {
      if (!std::exchange(dropping_, true)) {
        spdlog::warn("{} Events wait to be written; dropping new ones until they are",
                     pending_.size());
      }
      return;
    }
    dropping_ = false;
    pending_.push_back(
        Pending{pod, type, std::string(reason), std::string(action), std::string(note)});
  }
  changed_.notify_all();
}

void AsyncEventRecorder::send_loop(std::stop_token stop) {
  MutexLock lock(mutex_);
  while (changed_.wait(lock, stop, [this]() HSO_REQUIRES(mutex_) { return !pending_.empty(); })) {
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    sending_ = true;
    lock.unlock();
    // The inner recorder logs its own failures and never throws.
    inner_->record(next.pod, next.type, next.reason, next.action, next.note);
    lock.lock();
    sending_ = false;
    changed_.notify_all();
  }
}

void AsyncEventRecorder::flush() {
  MutexLock lock(mutex_);
  changed_.wait(
      lock, [this]() HSO_REQUIRES(mutex_) { return (pending_.empty() && !sending_) || stopped_; });
}

std::size_t AsyncEventRecorder::waiting() const {
  MutexLock lock(mutex_);
  return pending_.size();
}

void AsyncEventRecorder::stop() {
  {
    MutexLock lock(mutex_);
    if (std::exchange(stopped_, true))
      return;
    if (!pending_.empty())
      spdlog::debug("dropping {} Events not yet written", pending_.size());
    pending_.clear();
  }
  sender_.request_stop();
  sender_.join();
  changed_.notify_all();
}

}  // namespace hso::reconciler
