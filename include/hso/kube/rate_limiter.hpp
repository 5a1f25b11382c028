#pragma once

#include <stop_token>

#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"
#include "hso/util/token_bucket.hpp"

namespace hso::kube {

// Client-side request rate limit: a TokenBucket refilled at `qps` tokens per second and holding
// at most `burst` tokens, shared by the client's threads, which wait for their reserved token.
class TokenBucketRateLimiter {
 public:
  // qps <= 0 means no limit. burst < 1 is treated as 1.
  TokenBucketRateLimiter(double qps, int burst, const Clock& clock = SystemClock::instance());

  // Takes a token: returns how long the caller must wait before using it (zero if available).
  Clock::Duration reserve();
  // Gives back a reserved token the caller will not use.
  void cancel_reservation();
  // reserve() and then wait; false when `stop` was requested first (the token is given back).
  bool acquire(std::stop_token stop = {});

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  const double qps_;
  const int burst_;
  const Clock& clock_;
  Mutex mutex_;
  TokenBucket bucket_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::kube
