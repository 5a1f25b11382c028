#pragma once

#include <functional>
#include <stop_token>

#include "hso/util/clock.hpp"

namespace hso {

// Waits `duration` in real time; a stop request ends the wait at once. True when the whole time
// passed, false when `stop` was requested (before or during the wait).
bool sleep_for(Clock::Duration duration, std::stop_token stop);

// How a component waits between attempts, so that tests can substitute one that returns at once
// and moves a FakeClock. Same contract as sleep_for, which is the real one.
using Sleeper = std::function<bool(Clock::Duration, std::stop_token)>;

inline Sleeper real_sleeper() {
  return [](Clock::Duration duration, std::stop_token stop) { return sleep_for(duration, stop); };
}

}  // namespace hso
