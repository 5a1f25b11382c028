#include "hso/kube/rate_limiter.hpp"

#include <algorithm>
#include <chrono>

namespace hso::kube {

TokenBucketRateLimiter::TokenBucketRateLimiter(double qps, int burst, const Clock& clock)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      clock_(clock),
      tokens_(static_cast<double>(std::max(burst, 1))),
      last_refill_(clock.now()) {}

void TokenBucketRateLimiter::refill(Clock::TimePoint now) {
  if (now <= last_refill_)
    return;
  const double elapsed = std::chrono::duration<double>(now - last_refill_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
  last_refill_ = now;
}

Clock::Duration TokenBucketRateLimiter::reserve() {
  if (qps_ <= 0)
    return Clock::Duration::zero();
  MutexLock lock(mutex_);
  refill(clock_.now());
  tokens_ -= 1.0;
  if (tokens_ >= 0)
    return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>(-tokens_ / qps_));
}

void TokenBucketRateLimiter::cancel_reservation() {
  if (qps_ <= 0)
    return;
  MutexLock lock(mutex_);
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + 1.0);
}

bool TokenBucketRateLimiter::acquire(std::stop_token stop) {
  if (stop.stop_requested())
    return false;
  const Clock::Duration wait = reserve();
  if (wait <= Clock::Duration::zero())
    return true;
  // Waiting is in real time: the injected clock only decides how long.
  std::mutex wait_mutex;
  std::unique_lock lock(wait_mutex);
  const bool stopped = stopped_.wait_for(lock, stop, wait, [] { return false; });
  if (stopped || stop.stop_requested()) {
    cancel_reservation();
    return false;
  }
  return true;
}

}  // namespace hso::kube
