#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "hso/reconciler/event_recorder.hpp"
#include "hso/util/mutex.hpp"

namespace hso::reconciler {

// Hands Events to another recorder on a thread of its own, so that a reconcile never waits for
// an Event to be written: a new pod's Service and slice go out back to back and its Event follows.
// Events stay best effort: at most `capacity` wait, further ones are dropped (and logged), and
// those still waiting at stop() are dropped, as nothing relies on them.
class AsyncEventRecorder final : public EventRecorder {
 public:
  AsyncEventRecorder(std::unique_ptr<EventRecorder> inner, std::size_t capacity = 1000);
  ~AsyncEventRecorder() override;
  AsyncEventRecorder(const AsyncEventRecorder&) = delete;
  AsyncEventRecorder& operator=(const AsyncEventRecorder&) = delete;

  void record(const plan::PodInfo& pod, EventType type, std::string_view reason,
              std::string_view action, std::string_view note) override;

  // Drops what waits and joins the sender once it has finished the Event in hand.
  void stop();
  // Blocks until every Event recorded so far has been handed on (for tests).
  void flush();
  // Events recorded and not yet handed on.
  std::size_t waiting() const;

 private:
  struct Pending {
    plan::PodInfo pod;
    EventType type;
    std::string reason;
    std::string action;
    std::string note;
  };

  void send_loop(std::stop_token stop);

  std::unique_ptr<EventRecorder> inner_;
  const std::size_t capacity_;
  mutable Mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<Pending> pending_ HSO_GUARDED_BY(mutex_);
  bool sending_ HSO_GUARDED_BY(mutex_) = false;
  bool dropping_ HSO_GUARDED_BY(mutex_) = false;
  bool stopped_ HSO_GUARDED_BY(mutex_) = false;
  std::jthread sender_;  // last: it uses everything above
};

}  // namespace hso::reconciler
