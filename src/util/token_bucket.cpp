#include "hso/util/token_bucket.hpp"

#include <algorithm>
#include <chrono>

namespace hso {

TokenBucket::TokenBucket(double per_second, double burst, Clock::TimePoint now)
    : per_second_(per_second),
      burst_(std::max(burst, 1.0)),
      tokens_(std::max(burst, 1.0)),
      refilled_at_(now) {}

void TokenBucket::refill(Clock::TimePoint now) {
  if (now <= refilled_at_)
    return;
  const double elapsed = std::chrono::duration<double>(now - refilled_at_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
  refilled_at_ = now;
}

Clock::Duration TokenBucket::reserve(Clock::TimePoint now) {
  if (per_second_ <= 0)
    return Clock::Duration::zero();
  refill(now);
  tokens_ -= 1.0;
  if (tokens_ >= 0)
    return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>(-tokens_ / per_second_));
}

void TokenBucket::give_back() {
  if (per_second_ <= 0)
    return;
  tokens_ = std::min(burst_, tokens_ + 1.0);
}

}  // namespace hso
