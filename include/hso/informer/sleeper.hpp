#pragma once

#include <stop_token>

#include "hso/util/clock.hpp"

namespace hso::informer {

// Waits between retries. Tests substitute one that returns at once and advances a FakeClock.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Returns false when `stop` was requested (before or during the wait).
  virtual bool sleep_for(Clock::Duration duration, std::stop_token stop) = 0;
};

// Sleeps in real time; a stop request ends the wait at once.
class InterruptibleSleeper final : public Sleeper {
 public:
  bool sleep_for(Clock::Duration duration, std::stop_token stop) override;
  static InterruptibleSleeper& instance();
};

}  // namespace hso::informer
