#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "hso/util/clock.hpp"

namespace hso::informer {

struct RetryBackoffPolicy {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  // Each delay is base * (1 + jitter * u), u uniform in [0, 1), so that replicas failing
  // together do not retry together.
  double jitter = 0.5;
  // A retry that has been running this long without failing counts as healthy: the next failure
  // starts again from `initial`.
  std::chrono::milliseconds reset_after{120'000};
};

// Exponential backoff for one retry loop (not thread-safe: one loop, one thread).
class RetryBackoff {
 public:
  using UniformRandom = std::function<double()>;  // values in [0, 1)

  explicit RetryBackoff(RetryBackoffPolicy policy = {},
                        const Clock& clock = SystemClock::instance(), UniformRandom random = {});

  // The delay before the next attempt after a failure; grows the base delay. A server's
  // Retry-After, when given, is a floor.
  Clock::Duration next(std::optional<std::chrono::seconds> retry_after = std::nullopt);
  void reset();

 private:
  RetryBackoffPolicy policy_;
  const Clock& clock_;
  UniformRandom random_;
  double base_ms_;
  std::optional<Clock::TimePoint> retry_started_;
};

// A source of uniform values in [0, 1) seeded from std::random_device.
RetryBackoff::UniformRandom make_uniform_random();

}  // namespace hso::informer
