// Several LeaseElectors in one process against the real API server (hack/local-cluster.sh): one
// writer at a time, release hands over within about a retry period, a silent leader is replaced
// only after the lease duration.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "hso/kube/http_api_client.hpp"
#include "hso/leaderelection/leader_election_record.hpp"
#include "hso/leaderelection/leader_election_runner.hpp"
#include "hso/leaderelection/lease_elector.hpp"
#include "support/cluster_env.hpp"

namespace hso::leaderelection {
namespace {

using namespace std::chrono_literals;
using test::ClusterEnv;
using test::TestNamespace;

constexpr auto kLeaseDuration = 3s;
constexpr auto kRenewDeadline = 2s;
constexpr auto kRetryPeriod = 500ms;

struct Candidate {
  std::unique_ptr<kube::HttpApiClient> client;
  std::unique_ptr<LeaseElector> elector;
  std::unique_ptr<LeaderElectionRunner> runner;
  std::atomic<int> started{0};
};

class LeaderElectionClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster = ClusterEnv::require();
    if (cluster == nullptr) {
      GTEST_FAIL();
    }
    ns = std::make_unique<TestNamespace>(cluster->admin(), "leader");
    for (int i = 0; i < 3; ++i) {
      auto candidate = std::make_unique<Candidate>();
      LeaseElectorConfig config{.lease_namespace = ns->name(),
                                .lease_name = "operator",
                                .identity = "candidate-" + std::to_string(i),
                                .lease_duration = kLeaseDuration,
                                .renew_deadline = kRenewDeadline,
                                .retry_period = kRetryPeriod};
      kube::ClientOptions options;
      options.qps = 0;
      options.max_retries = 0;
      options.timeout = lease_request_timeout(config);
      options.connect_timeout = options.timeout;
      candidate->client = kube::make_api_client(cluster->admin_config(), options);
      candidate->elector = std::make_unique<LeaseElector>(*candidate->client,
                                                          SystemClock::instance(), config, metrics);
      Candidate* raw = candidate.get();
      candidate->runner = std::make_unique<LeaderElectionRunner>(
          *candidate->elector, SystemClock::instance(), metrics,
          LeaderCallbacks{.on_started_leading = [raw] { ++raw->started; },
                          .on_stopped_leading = {}});
      candidates.push_back(std::move(candidate));
    }
  }

  void TearDown() override {
    for (auto& candidate : candidates) {
      candidate->runner->stop();
    }
    candidates.clear();
    ns.reset();
  }

  // Indexes of the candidates allowed to write right now.
  std::vector<int> writers() const {
    std::vector<int> result;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i]->elector->gate().may_write()) {
        result.push_back(static_cast<int>(i));
      }
    }
    return result;
  }

  // Samples every 20 ms for `duration`; fails on two writers at once. Returns the last writer
  // seen (or -1) and, through `first_change`, when the writer first differed from `previous`.
  int sample(std::chrono::milliseconds duration, int previous = -2,
             std::chrono::steady_clock::duration* first_change = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    int last = -1;
    while (std::chrono::steady_clock::now() - start < duration) {
      const auto now_writing = writers();
      EXPECT_LE(now_writing.size(), 1u) << "two replicas may write at once";
      last = now_writing.empty() ? -1 : now_writing.front();
      if (first_change != nullptr && previous != -2 && last != previous && last != -1 &&
          *first_change == std::chrono::steady_clock::duration::zero()) {
        *first_change = std::chrono::steady_clock::now() - start;
      }
      std::this_thread::sleep_for(20ms);
    }
    return last;
  }

  std::string lease_holder() const {
    return record_from_lease(cluster->admin().get("/apis/coordination.k8s.io/v1/namespaces/" +
                                                  ns->name() + "/leases/operator"))
        .holder_identity;
  }

  int wait_for_leader(std::chrono::milliseconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < timeout) {
      const auto now_writing = writers();
      EXPECT_LE(now_writing.size(), 1u);
      if (!now_writing.empty()) {
        return now_writing.front();
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

  ClusterEnv* cluster = nullptr;
  std::unique_ptr<TestNamespace> ns;
  metrics::LeaderMetrics metrics;
  std::vector<std::unique_ptr<Candidate>> candidates;
};

TEST_F(LeaderElectionClusterTest, OneLeaderAtATimeAndReleaseHandsOverWithinARetryPeriod) {
  for (auto& candidate : candidates) {
    candidate->runner->start();
  }
  const int first = wait_for_leader(5s);
  ASSERT_GE(first, 0);
  // Steady state: the same single leader through several renewals.
  EXPECT_EQ(sample(3 * kLeaseDuration), first);
  EXPECT_EQ(lease_holder(), "candidate-" + std::to_string(first));

  // Graceful shutdown of the leader: stop renewing, then release.
  const auto released_at = std::chrono::steady_clock::now();
  candidates[first]->runner->stop();
  ASSERT_TRUE(candidates[first]->elector->release());
  const int second = wait_for_leader(5s);
  const auto handover = std::chrono::steady_clock::now() - released_at;
  ASSERT_GE(second, 0);
  EXPECT_NE(second, first);
  // A standby retries every retry period (+ up to 20% jitter) and a released lease is free at once.
  EXPECT_LT(handover, kRetryPeriod * 1.2 + 700ms)
      << std::chrono::duration_cast<std::chrono::milliseconds>(handover).count() << " ms";
  EXPECT_EQ(sample(2 * kLeaseDuration), second);
  EXPECT_EQ(lease_holder(), "candidate-" + std::to_string(second));
}

TEST_F(LeaderElectionClusterTest, ASilentLeaderIsReplacedOnlyAfterTheLeaseDuration) {
  for (auto& candidate : candidates) {
    candidate->runner->start();
  }
  const int first = wait_for_leader(5s);
  ASSERT_GE(first, 0);
  sample(2 * kRetryPeriod);

  // The leader goes silent without releasing (as if partitioned): its gate closes on its own
  // after the renew deadline, and a standby takes over only once the lease duration has passed.
  const auto silent_at = std::chrono::steady_clock::now();
  candidates[first]->runner->stop();
  std::chrono::steady_clock::duration gate_closed{};
  std::chrono::steady_clock::duration taken_over{};
  while (std::chrono::steady_clock::now() - silent_at < 3 * kLeaseDuration) {
    const auto now_writing = writers();
    ASSERT_LE(now_writing.size(), 1u) << "two replicas may write at once";
    const auto elapsed = std::chrono::steady_clock::now() - silent_at;
    if (gate_closed == gate_closed.zero() && !candidates[first]->elector->gate().may_write()) {
      gate_closed = elapsed;
    }
    if (!now_writing.empty() && now_writing.front() != first) {
      taken_over = elapsed;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_NE(taken_over, taken_over.zero()) << "no standby took over";
  EXPECT_LE(gate_closed, kRenewDeadline + 50ms);
  EXPECT_GE(taken_over, kLeaseDuration - kRetryPeriod);  // its own timer started a bit earlier
  EXPECT_LT(gate_closed, taken_over);
}

}  // namespace
}  // namespace hso::leaderelection
