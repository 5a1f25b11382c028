#include "hso/kube/rate_limiter.hpp"

#include <algorithm>

#include "hso/util/stop_wait.hpp"

namespace hso::kube {

TokenBucketRateLimiter::TokenBucketRateLimiter(double qps, int burst, const Clock& clock)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      clock_(clock),
      bucket_(qps, static_cast<double>(std::max(burst, 1)), clock.now()) {}

Clock::Duration TokenBucketRateLimiter::reserve() {
  if (qps_ <= 0)
    return Clock::Duration::zero();
  MutexLock lock(mutex_);
  return bucket_.reserve(clock_.now());
}

void TokenBucketRateLimiter::cancel_reservation() {
  if (qps_ <= 0)
    return;
  MutexLock lock(mutex_);
  bucket_.give_back();
}

bool TokenBucketRateLimiter::acquire(std::stop_token stop) {
  if (stop.stop_requested())
    return false;
  const Clock::Duration wait = reserve();
  if (wait <= Clock::Duration::zero())
    return true;
  // Waiting is in real time: the injected clock only decides how long.
  if (!sleep_for(wait, stop)) {
    cancel_reservation();
    return false;
  }
  return true;
}

}  // namespace hso::kube
