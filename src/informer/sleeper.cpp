#include "hso/informer/sleeper.hpp"

#include <condition_variable>
#include <mutex>

namespace hso::informer {

bool InterruptibleSleeper::sleep_for(Clock::Duration duration, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wakeup;
  std::unique_lock lock(mutex);
  wakeup.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

InterruptibleSleeper& InterruptibleSleeper::instance() {
  static InterruptibleSleeper sleeper;
  return sleeper;
}

}  // namespace hso::informer
