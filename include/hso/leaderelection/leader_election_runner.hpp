#pragma once

#include <atomic>
#include <functional>
#include <stop_token>
#include <thread>

#include "hso/leaderelection/lease_elector.hpp"
#include "hso/util/clock.hpp"
#include "hso/util/stop_wait.hpp"

namespace hso::leaderelection {

enum class LeadershipEnd {
  kLost,      // renew failed for the renew deadline, or another holder took the lease
  kShutdown,  // stop was requested while leading; the caller releases the lease after draining
};

struct LeaderCallbacks {
  // Both run on the runner's thread. on_started_leading must return promptly; on_stopped_leading
  // (kLost) must return only once nothing of that term can write, and the runner waits for it.
  std::function<void()> on_started_leading;
  std::function<void(LeadershipEnd)> on_stopped_leading;
};

// Drives a LeaseElector: tries to acquire every retry period (with up to 20% jitter so that
// standbys do not hit the server in step), then renews every retry period. Leadership ends when
// no renew has succeeded for the renew deadline (the gate has already closed by itself by then)
// or when another holder is seen; the runner then calls on_stopped_leading(kLost), which returns
// once the old term's work has stopped, and stands again as a candidate (a control-plane blip
// costs no restart). It finishes when stopped.
class LeaderElectionRunner {
 public:
  LeaderElectionRunner(LeaseElector& elector, const Clock& clock, metrics::LeaderMetrics& metrics,
                       LeaderCallbacks callbacks, Sleeper sleeper = real_sleeper());
  ~LeaderElectionRunner();
  LeaderElectionRunner(const LeaderElectionRunner&) = delete;
  LeaderElectionRunner& operator=(const LeaderElectionRunner&) = delete;

  void start();  // runs run() on its own thread
  void stop();   // requests stop and joins; does not release the lease

  // Blocks until leadership ends or `stop` is requested.
  void run(std::stop_token stop);

  bool finished() const { return finished_.load(); }

 private:
  bool acquire(std::stop_token stop);
  LeadershipEnd renew_until_lost(std::stop_token stop);
  Clock::Duration jittered_retry_period();

  // Everything but finished_ is used by the runner's thread only (or by the caller of run());
  // the elector and metrics synchronise their own state.
  LeaseElector& elector_;
  const Clock& clock_;
  metrics::LeaderMetrics& metrics_;
  LeaderCallbacks callbacks_;
  Sleeper sleeper_;
  std::atomic<bool> finished_{false};
  std::jthread thread_;
};

}  // namespace hso::leaderelection
