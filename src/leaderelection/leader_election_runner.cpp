#include "hso/leaderelection/leader_election_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "hso/util/random.hpp"

namespace hso::leaderelection {

LeaderElectionRunner::LeaderElectionRunner(LeaseElector& elector, const Clock& clock,
                                           metrics::LeaderMetrics& metrics,
                                           LeaderCallbacks callbacks, Sleeper sleeper)
    : elector_(elector),
      clock_(clock),
      metrics_(metrics),
      callbacks_(std::move(callbacks)),
      sleeper_(std::move(sleeper)) {}

LeaderElectionRunner::~LeaderElectionRunner() {
  stop();
}

void LeaderElectionRunner::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void LeaderElectionRunner::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void LeaderElectionRunner::run(std::stop_token stop) {
  metrics_.set_leader(false);
  while (acquire(stop)) {
    metrics_.set_leader(true);
    if (callbacks_.on_started_leading) {
      callbacks_.on_started_leading();
    }
    const LeadershipEnd end = renew_until_lost(stop);
    if (end == LeadershipEnd::kLost) {
      elector_.abdicate();
    }
    metrics_.set_leader(false);
    // The callback returns once nothing of the old term can write any more; only then may this
    // replica stand again.
    if (callbacks_.on_stopped_leading) {
      callbacks_.on_stopped_leading(end);
    }
    if (end == LeadershipEnd::kShutdown) {
      break;
    }
    spdlog::info("leader election: standing again as a candidate");
  }
  finished_.store(true);
}

bool LeaderElectionRunner::acquire(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (elector_.try_acquire_or_renew()) {
      return true;
    }
    if (!sleeper_(jittered_retry_period(), stop)) {
      break;
    }
  }
  return false;
}

LeadershipEnd LeaderElectionRunner::renew_until_lost(std::stop_token stop) {
  const Clock::Duration retry = elector_.config().retry_period;
  const Clock::Duration deadline = elector_.config().renew_deadline;
  Clock::Duration wait = retry;
  while (sleeper_(wait, stop)) {
    if (elector_.try_acquire_or_renew()) {
      wait = retry;
      continue;
    }
    metrics_.renew_failed();
    const auto last = elector_.gate().last_renew();
    if (!last) {
      spdlog::error("leader election: lost the lease to {}", elector_.observed_holder());
      return LeadershipEnd::kLost;
    }
    const Clock::Duration since_renew = clock_.now() - *last;
    if (since_renew >= deadline) {
      spdlog::error("leader election: no successful renew within the renew deadline");
      return LeadershipEnd::kLost;
    }
    // Retry, but wake no later than the deadline so loss is noticed on time.
    wait = std::min(retry, deadline - since_renew);
  }
  return LeadershipEnd::kShutdown;
}

Clock::Duration LeaderElectionRunner::jittered_retry_period() {
  const Clock::Duration retry = elector_.config().retry_period;
  return retry + std::chrono::duration_cast<Clock::Duration>(retry * 0.2 * uniform_random());
}

}  // namespace hso::leaderelection
