#include "hso/util/stop_wait.hpp"

#include <condition_variable>
#include <mutex>

namespace hso {

bool sleep_for(Clock::Duration duration, std::stop_token stop) {
  // Nothing ever notifies this variable: only the stop request (through the stop token) or the
  // timeout ends the wait.
  std::mutex mutex;
  std::condition_variable_any wakeup;
  std::unique_lock lock(mutex);
  wakeup.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace hso
