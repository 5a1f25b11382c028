#include "hso/workqueue/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace hso::workqueue {

RetryRateLimiter::RetryRateLimiter(RateLimitPolicy policy, const Clock& clock)
    : policy_(policy),
      clock_(clock),
      overall_(policy.overall_per_second, policy.overall_burst, clock.now()) {}

Clock::Duration RetryRateLimiter::next_delay(const std::string& key) {
  MutexLock lock(mutex_);
  const int previous = failures_[key]++;
  return std::max(per_key_delay(previous), overall_.reserve(clock_.now()));
}

void RetryRateLimiter::forget(const std::string& key) {
  MutexLock lock(mutex_);
  failures_.erase(key);
}

int RetryRateLimiter::failures(const std::string& key) const {
  MutexLock lock(mutex_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

Clock::Duration RetryRateLimiter::per_key_delay(int previous_failures) const {
  const double max_ms = static_cast<double>(policy_.max_delay.count());
  // Beyond 2^62 the double would still be finite, but there is no point computing it.
  const double factor = std::ldexp(1.0, std::min(previous_failures, 62));
  const double delay_ms =
      std::min(static_cast<double>(policy_.base_delay.count()) * factor, max_ms);
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double, std::milli>(delay_ms));
}

}  // namespace hso::workqueue
