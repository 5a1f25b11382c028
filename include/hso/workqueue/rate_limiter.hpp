#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"
#include "hso/util/token_bucket.hpp"

namespace hso::workqueue {

struct RateLimitPolicy {
  // Per key: base_delay * 2^(failures so far), capped at max_delay.
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{std::chrono::minutes(5)};
  // Across all keys: a token bucket, so a burst of failures cannot hammer the API server.
  double overall_per_second = 10.0;
  double overall_burst = 100.0;
};

// Decides how long a failed key waits before its retry: the larger of its own exponential
// backoff and the overall bucket's delay. Thread-safe.
class RetryRateLimiter {
 public:
  explicit RetryRateLimiter(RateLimitPolicy policy = {},
                            const Clock& clock = SystemClock::instance());

  // Records one more failure of `key` and returns the delay before retrying it.
  Clock::Duration next_delay(const std::string& key);
  // The key succeeded: its next failure starts from base_delay again.
  void forget(const std::string& key);
  int failures(const std::string& key) const;

 private:
  Clock::Duration per_key_delay(int previous_failures) const;

  const RateLimitPolicy policy_;
  const Clock& clock_;
  mutable Mutex mutex_;
  std::unordered_map<std::string, int> failures_ HSO_GUARDED_BY(mutex_);
  // Across all keys, so a burst of failures cannot hammer the API server.
  TokenBucket overall_ HSO_GUARDED_BY(mutex_);
};

}  // namespace hso::workqueue
