#pragma once

#include <chrono>
#include <functional>

#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::kube {

struct BackoffPolicy {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  // Each delay is base * (1 + jitter * u), u uniform in [0, 1): replicas that fail together do
  // not retry together.
  double jitter = 1.0;
  // After this long without a failure the next delay starts from `initial` again.
  std::chrono::milliseconds reset_after{120'000};
};

// Exponential backoff with jitter. Thread-safe.
class Backoff {
 public:
  using UniformRandom = std::function<double()>;  // returns values in [0, 1)

  explicit Backoff(BackoffPolicy policy = {}, const Clock& clock = SystemClock::instance(),
                   UniformRandom random = {});

  // The delay to wait before the next attempt; each call grows the base delay.
  Clock::Duration next();
  void reset();

 private:
  BackoffPolicy policy_;
  const Clock& clock_;
  UniformRandom random_;
  Mutex mutex_;
  double base_ms_ HSO_GUARDED_BY(mutex_);
  bool has_failed_ HSO_GUARDED_BY(mutex_) = false;
  Clock::TimePoint last_failure_ HSO_GUARDED_BY(mutex_){};
};

}  // namespace hso::kube
