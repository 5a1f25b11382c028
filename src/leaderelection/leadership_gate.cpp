#include "hso/leaderelection/leadership_gate.hpp"

namespace hso::leaderelection {

LeadershipGate::LeadershipGate(const Clock& clock, Clock::Duration renew_deadline)
    : clock_(clock), renew_deadline_(renew_deadline) {}

bool LeadershipGate::may_write() const {
  if (!leading_.load()) {
    return false;
  }
  const Clock::TimePoint last{Clock::Duration(last_renew_.load())};
  return clock_.now() - last < renew_deadline_;
}

std::optional<Clock::TimePoint> LeadershipGate::last_renew() const {
  if (!leading_.load()) {
    return std::nullopt;
  }
  return Clock::TimePoint{Clock::Duration(last_renew_.load())};
}

void LeadershipGate::renewed(Clock::TimePoint sent_at) {
  // Store the time before raising the flag, so a reader never pairs "leading" with a stale time.
  last_renew_.store(sent_at.time_since_epoch().count());
  leading_.store(true);
}

void LeadershipGate::close() {
  leading_.store(false);
}

}  // namespace hso::leaderelection
