#pragma once

#include "hso/util/clock.hpp"
#include "hso/util/mutex.hpp"

namespace hso::kube {

// The API server's "not now" (429 with Retry-After, from Priority and Fairness), shared by every
// request of a client: once one request is told to wait, the others wait too instead of each
// finding out with a 429 of its own. This is what lets the operator run without a client-side
// rate limit and still back off as a whole when the server is squeezed.
class ServerPushback {
 public:
  explicit ServerPushback(const Clock& clock = SystemClock::instance()) : clock_(clock) {}

  // No request should be sent before `delay` from now (a later hold already in force stays).
  void hold_for(Clock::Duration delay);
  // How long a request must still wait; zero when none is held.
  Clock::Duration remaining() const;

 private:
  const Clock& clock_;
  mutable Mutex mutex_;
  Clock::TimePoint hold_until_ HSO_GUARDED_BY(mutex_){};
};

}  // namespace hso::kube
