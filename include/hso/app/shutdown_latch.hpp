#pragma once

#include <condition_variable>
#include <optional>
#include <thread>

#include "hso/util/mutex.hpp"

namespace hso::app {

// Where the reasons to stop meet: the first of a termination signal (exit 0) or a fatal event
// such as a lost lease (exit non-zero) wins; main waits on it.
class ShutdownLatch {
 public:
  void trigger(int exit_code, const char* reason);
  // Blocks until triggered; returns the exit code.
  int wait();
  bool triggered() const;

 private:
  mutable Mutex mutex_;
  std::condition_variable_any changed_;
  std::optional<int> exit_code_ HSO_GUARDED_BY(mutex_);
};

// Turns SIGTERM and SIGINT into a latch trigger; a second one exits at once. The signals must be
// blocked in every thread (block_termination_signals() before any thread starts), so that only
// this one receives them.
class SignalWatcher {
 public:
  explicit SignalWatcher(ShutdownLatch& latch);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  static void block_termination_signals();

 private:
  std::thread thread_;
};

}  // namespace hso::app
