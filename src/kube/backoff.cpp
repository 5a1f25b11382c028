#include "hso/kube/backoff.hpp"

#include <algorithm>

#include "hso/util/random.hpp"

namespace hso::kube {

Backoff::Backoff(BackoffPolicy policy, const Clock& clock, UniformRandom random)
    : policy_(policy),
      clock_(clock),
      random_(random ? std::move(random) : UniformRandom(hso::uniform_random)),
      base_ms_(static_cast<double>(policy.initial.count())) {}

Clock::Duration Backoff::next() {
  MutexLock lock(mutex_);
  const auto now = clock_.now();
  if (has_failed_ && now - last_failure_ >= policy_.reset_after) {
    base_ms_ = static_cast<double>(policy_.initial.count());
  }
  const double base = std::min(base_ms_, static_cast<double>(policy_.max.count()));
  const double u = std::clamp(random_(), 0.0, 1.0);
  const double delay_ms = base * (1.0 + policy_.jitter * u);
  base_ms_ = std::min(base_ms_ * policy_.factor, static_cast<double>(policy_.max.count()));
  has_failed_ = true;
  last_failure_ = now;
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double, std::milli>(delay_ms));
}

void Backoff::reset() {
  MutexLock lock(mutex_);
  base_ms_ = static_cast<double>(policy_.initial.count());
  has_failed_ = false;
}

}  // namespace hso::kube
