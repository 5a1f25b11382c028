#include "hso/app/shutdown_latch.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>

namespace hso::app {
namespace {

// Sent by the destructor to end the watcher's sigwait.
constexpr int kWakeSignal = SIGUSR1;

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, kWakeSignal);
  return set;
}

}  // namespace

void ShutdownLatch::trigger(int exit_code, const char* reason) {
  {
    MutexLock lock(mutex_);
    if (exit_code_)
      return;
    exit_code_ = exit_code;
  }
  spdlog::info("shutting down: {}", reason);
  changed_.notify_all();
}

int ShutdownLatch::wait() {
  MutexLock lock(mutex_);
  changed_.wait(lock, [this]() HSO_REQUIRES(mutex_) { return exit_code_.has_value(); });
  return *exit_code_;
}

bool ShutdownLatch::triggered() const {
  MutexLock lock(mutex_);
  return exit_code_.has_value();
}

void SignalWatcher::block_termination_signals() {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A scraper hanging up must not kill the process.
  if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    spdlog::warn("cannot ignore SIGPIPE: a scraper hanging up may end the process");
}

SignalWatcher::SignalWatcher(ShutdownLatch& latch) {
  thread_ = std::thread([&latch] {
    const sigset_t set = watched_signals();
    int received_termination = 0;
    while (true) {
      int signal_number = 0;
      if (sigwait(&set, &signal_number) != 0 || signal_number == kWakeSignal)
        return;
      if (++received_termination > 1) {
        spdlog::warn("second termination signal: exiting at once");
        std::_Exit(1);
      }
      latch.trigger(0, signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  });
}

SignalWatcher::~SignalWatcher() {
  pthread_kill(thread_.native_handle(), kWakeSignal);
  thread_.join();
}

}  // namespace hso::app
