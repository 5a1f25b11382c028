#include "hso/kube/server_pushback.hpp"

#include <algorithm>

namespace hso::kube {

void ServerPushback::hold_for(Clock::Duration delay) {
  const Clock::TimePoint until = clock_.now() + delay;
  MutexLock lock(mutex_);
  hold_until_ = std::max(hold_until_, until);
}

Clock::Duration ServerPushback::remaining() const {
  const Clock::TimePoint now = clock_.now();
  MutexLock lock(mutex_);
  return hold_until_ > now ? hold_until_ - now : Clock::Duration::zero();
}

}  // namespace hso::kube
