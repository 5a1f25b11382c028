#pragma once

#include "hso/util/clock.hpp"

namespace hso {

// A token bucket refilled at `per_second` tokens a second and holding at most `burst`. A caller
// that finds it empty reserves a future token: the balance goes negative, and the wait until that
// token exists is returned, so callers are served in order at exactly the configured rate.
// Not thread-safe: its owner holds the lock around it.
class TokenBucket {
 public:
  // per_second <= 0: no limit, every reservation is free. burst < 1 counts as 1. Starts full.
  TokenBucket(double per_second, double burst, Clock::TimePoint now);

  // Takes a token; returns how long until it may be used (zero when one was there).
  Clock::Duration reserve(Clock::TimePoint now);
  // Gives back a reserved token that will not be used.
  void give_back();

  double per_second() const { return per_second_; }
  double burst() const { return burst_; }

 private:
  void refill(Clock::TimePoint now);

  double per_second_;
  double burst_;
  double tokens_;
  Clock::TimePoint refilled_at_;
};

}  // namespace hso
