#pragma once

#include <atomic>
#include <chrono>
#include <optional>

#include "hso/util/clock.hpp"

namespace hso::leaderelection {

// What the reconciler's workers consult before every write. Writes are allowed only while this
// replica holds the lease AND its last successful renew started less than the renew deadline ago,
// judged on the monotonic clock at the moment of asking. A renew request still in flight when the
// deadline passes therefore cannot keep writes allowed: the gate closes by itself on time,
// strictly before any other candidate may consider the lease expired (lease duration > deadline).
class LeadershipGate {
 public:
  LeadershipGate(const Clock& clock, Clock::Duration renew_deadline);

  bool may_write() const;
  // Holds the lease as far as this replica knows (ignores the deadline).
  bool is_leader() const { return leading_.load(); }
  // When the last successful acquire or renew was sent; empty if never, or not leading.
  std::optional<Clock::TimePoint> last_renew() const;

  // Called by the elector: `sent_at` is when the successful request was sent, not when its
  // answer arrived, because other candidates may start their expiry timers as soon as the server
  // has applied it.
  void renewed(Clock::TimePoint sent_at);
  void close();

 private:
  const Clock& clock_;
  Clock::Duration renew_deadline_;
  std::atomic<bool> leading_{false};
  std::atomic<Clock::Duration::rep> last_renew_{0};  // since the clock's epoch
};

}  // namespace hso::leaderelection
