#include "hso/informer/retry_backoff.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace hso::informer {

RetryBackoff::UniformRandom make_uniform_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

RetryBackoff::RetryBackoff(RetryBackoffPolicy policy, const Clock& clock, UniformRandom random)
    : policy_(policy),
      clock_(clock),
      random_(random ? std::move(random) : make_uniform_random()),
      base_ms_(static_cast<double>(policy.initial.count())) {}

Clock::Duration RetryBackoff::next(std::optional<std::chrono::seconds> retry_after) {
  const Clock::TimePoint now = clock_.now();
  if (retry_started_ && now - *retry_started_ >= policy_.reset_after) {
    reset();
  }
  const double jittered_ms = base_ms_ * (1.0 + policy_.jitter * std::clamp(random_(), 0.0, 1.0));
  base_ms_ = std::min(base_ms_ * policy_.factor, static_cast<double>(policy_.max.count()));

  auto delay = std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double, std::milli>(jittered_ms));
  if (retry_after && *retry_after > delay) {
    delay = *retry_after;
  }
  retry_started_ = now + delay;
  return delay;
}

void RetryBackoff::reset() {
  base_ms_ = static_cast<double>(policy_.initial.count());
  retry_started_.reset();
}

}  // namespace hso::informer
