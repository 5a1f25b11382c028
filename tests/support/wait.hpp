#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace hso::test {

// Polls `condition` until it holds or `timeout` passes; true if it held. For waiting on real
// components (the API server, DNS) in integration tests; never use a bare sleep to synchronise.
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition())
      return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(poll, deadline - now));
  }
}

}  // namespace hso::test
