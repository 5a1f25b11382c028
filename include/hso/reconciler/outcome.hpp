#pragma once

#include <chrono>
#include <string>
#include <utility>

namespace hso::reconciler {

// How a reconcile of one key ended, and when to look at the key again
// (controller/work_outcome.hpp turns it into what the work queue does).
struct ReconcileOutcome {
  enum class Kind {
    kDone,          // the world matches (or the key is a reported skip): forget the key
    kRequeueAfter,  // look again after `delay` (conflict with a concurrent change, throttling)
    kRetry,         // failed: retry with the queue's backoff
    kNotLeading,    // a write was withheld because this replica may not write: not a failure
  };
  Kind kind = Kind::kDone;
  std::chrono::milliseconds delay{0};
  std::string message;
  bool expected = false;  // a requeue that is part of normal work (logged at debug level)

  static ReconcileOutcome done() { return {}; }
  static ReconcileOutcome requeue_after(std::chrono::milliseconds delay, std::string why) {
    return {Kind::kRequeueAfter, delay, std::move(why)};
  }
  static ReconcileOutcome retry(std::string why) {
    return {Kind::kRetry, std::chrono::milliseconds{0}, std::move(why)};
  }
  // The leadership gate withheld a write. If the lease is lost the workers are stopped and the
  // queue dropped; if the gate opens again (a late renew landed), the key is looked at after
  // `delay`.
  static ReconcileOutcome not_leading(std::chrono::milliseconds delay) {
    return {Kind::kNotLeading, delay, "not the leader: write withheld", true};
  }
  // The caches have not shown this operator's last writes of the key yet: their watch events
  // bring the key back; `delay` is only the fallback should an event be lost.
  static ReconcileOutcome wait_for_caches(std::chrono::milliseconds delay, std::string why) {
    return {Kind::kRequeueAfter, delay, std::move(why), true};
  }
};

}  // namespace hso::reconciler
