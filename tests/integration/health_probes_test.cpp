// /healthz of a leader whose renew loop is wedged, against the real API server: the elector's
// Lease requests hang without ever timing out (as a stalled connection would if the client had no
// timeouts), the write gate closes by itself at the renew deadline, and /healthz fails on the
// leader-election check once the last renew is older than the lease duration plus a margin.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "hso/http/health_checks.hpp"
#include "hso/http/http_endpoint.hpp"
#include "hso/http/probe_routes.hpp"
#include "hso/http/standard_health_checks.hpp"
#include "hso/kube/http_api_client.hpp"
#include "hso/leaderelection/leader_election_runner.hpp"
#include "hso/leaderelection/lease_elector.hpp"
#include "support/cluster_env.hpp"
#include "support/forwarding_api_client.hpp"
#include "support/wait.hpp"

namespace hso::http {
namespace {

using namespace std::chrono_literals;
using leaderelection::LeaderCallbacks;
using leaderelection::LeaderElectionRunner;
using leaderelection::LeaseElector;
using leaderelection::LeaseElectorConfig;
using test::ClusterEnv;
using test::TestNamespace;
using test::wait_until;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr auto kLeaseDuration = 3s;
constexpr auto kRenewDeadline = 2s;
constexpr auto kRetryPeriod = 500ms;
// The operator uses 5 s; short here so that the test stays short.
constexpr auto kHealthMargin = 500ms;
// Time for one probe of /healthz, generously.
constexpr auto kProbeTime = 300ms;
// How late a wait may notice a change that happened on time, on a busy shared machine.
constexpr auto kLateness = 1s;

// Passes everything through, except that while wedged, every request under `path_prefix` waits
// until unwedged: it neither fails nor times out, so the caller simply never hears back.
class WedgeableClient final : public test::ForwardingApiClient {
 public:
  WedgeableClient(kube::ApiClient& inner, std::string path_prefix)
      : ForwardingApiClient(inner), path_prefix_(std::move(path_prefix)) {}

  void wedge() {
    std::lock_guard lock(mutex_);
    wedged_ = true;
  }
  void unwedge() {
    {
      std::lock_guard lock(mutex_);
      wedged_ = false;
    }
    released_.notify_all();
  }
  // Requests waiting in the wedge right now.
  int held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }

  nlohmann::json get(const std::string& path) override {
    hold_while_wedged(path);
    return ForwardingApiClient::get(path);
  }
  nlohmann::json create(const std::string& path, const nlohmann::json& body) override {
    hold_while_wedged(path);
    return ForwardingApiClient::create(path, body);
  }
  nlohmann::json update(const std::string& path, const nlohmann::json& body) override {
    hold_while_wedged(path);
    return ForwardingApiClient::update(path, body);
  }
  nlohmann::json patch(const std::string& path, kube::PatchType type, const nlohmann::json& body,
                       const kube::PatchOptions& options) override {
    hold_while_wedged(path);
    return ForwardingApiClient::patch(path, type, body, options);
  }
  void remove(const std::string& path, const kube::DeleteOptions& options) override {
    hold_while_wedged(path);
    ForwardingApiClient::remove(path, options);
  }

 private:
  void hold_while_wedged(const std::string& path) {
    if (!path.starts_with(path_prefix_))
      return;
    std::unique_lock lock(mutex_);
    ++held_;
    released_.wait(lock, [this] { return !wedged_; });
    --held_;
  }

  const std::string path_prefix_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  bool wedged_ = false;
  int held_ = 0;
};

struct Answer {
  int status = 0;  // 0: no answer
  std::string body;
};

std::chrono::milliseconds until(SteadyTime deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

double seconds_between(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

// A leader (LeaseElector + LeaderElectionRunner over the real HttpApiClient, wrapped in a
// WedgeableClient) and the /healthz the operator serves for it, composed as operator_app.cpp does.
class HealthProbesClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster = ClusterEnv::require();
    if (cluster == nullptr) {
      GTEST_FAIL();
    }
    ns = std::make_unique<TestNamespace>(cluster->admin(), "health");
    const LeaseElectorConfig config{.lease_namespace = ns->name(),
                                    .lease_name = "operator",
                                    .identity = "wedged-leader",
                                    .lease_duration = kLeaseDuration,
                                    .renew_deadline = kRenewDeadline,
                                    .retry_period = kRetryPeriod};
    kube::ClientOptions options;
    options.qps = 0;
    options.max_retries = 0;
    options.timeout = leaderelection::lease_request_timeout(config);
    options.connect_timeout = options.timeout;
    client = kube::make_api_client(cluster->admin_config(), options);
    lease_client = std::make_unique<WedgeableClient>(*client, config.leases_collection_path());
    elector = std::make_unique<LeaseElector>(*lease_client, clock, config, leader_metrics);

    healthz.add("ping", [] { return CheckResult{}; });
    healthz.add("leader-election",
                lease_renew_check([this] { return elector->gate().last_renew(); }, clock,
                                  kLeaseDuration + kHealthMargin));
    register_health_routes(probes.server(), healthz, readyz);
    port = probes.start({"127.0.0.1", 0});

    runner =
        std::make_unique<LeaderElectionRunner>(*elector, clock, leader_metrics, LeaderCallbacks{});
  }

  void TearDown() override {
    // Let the held renew go first, or the runner could not be joined.
    if (lease_client)
      lease_client->unwedge();
    if (runner)
      runner->stop();
    probes.stop();
    ns.reset();
  }

  Answer probe(const std::string& path) const {
    httplib::Client http("127.0.0.1", port);
    http.set_connection_timeout(2, 0);
    http.set_read_timeout(2, 0);
    const auto result = http.Get(path);
    if (!result)
      return {};
    return {result->status, result->body};
  }

  bool healthz_status_is(int status) const { return probe("/healthz").status == status; }

  const SystemClock& clock = SystemClock::instance();
  ClusterEnv* cluster = nullptr;
  std::unique_ptr<TestNamespace> ns;
  metrics::LeaderMetrics leader_metrics;
  std::unique_ptr<kube::ApiClient> client;
  std::unique_ptr<WedgeableClient> lease_client;
  std::unique_ptr<LeaseElector> elector;
  HealthChecks healthz{"healthz"};
  HealthChecks readyz{"readyz"};
  HttpEndpoint probes{"probes"};
  int port = 0;
  std::unique_ptr<LeaderElectionRunner> runner;
};

TEST_F(HealthProbesClusterTest, HealthzFailsAndTheGateClosesWhenTheRenewLoopIsWedged) {
  runner->start();
  ASSERT_TRUE(wait_until([this] { return elector->gate().may_write(); }, 10s))
      << "the candidate never acquired the Lease";

  // Leading and renewing: a renew goes through, and /healthz is fine.
  const auto acquired = elector->gate().last_renew();
  ASSERT_TRUE(acquired);
  ASSERT_TRUE(wait_until([&] { return elector->gate().last_renew() > acquired; },
                         kRenewDeadline + kLateness))
      << "the leader does not renew";
  const Answer healthy = probe("/healthz");
  EXPECT_EQ(healthy.status, 200);
  EXPECT_EQ(healthy.body, "ok");
  const Answer check_healthy = probe("/healthz/leader-election");
  EXPECT_EQ(check_healthy.status, 200);
  EXPECT_EQ(check_healthy.body, "ok");

  // Wedge: the next renew request hangs. A renew already in flight may still finish, so the
  // deadlines below count from the last renew the gate saw once a request is held.
  lease_client->wedge();
  ASSERT_TRUE(wait_until([this] { return lease_client->held() > 0; }, kRetryPeriod + 2s))
      << "no renew request reached the wedge";
  const auto last = elector->gate().last_renew();
  ASSERT_TRUE(last);
  const SteadyTime last_renew = *last;
  const SteadyTime gate_deadline = last_renew + kRenewDeadline;
  const SteadyTime health_limit = last_renew + kLeaseDuration + kHealthMargin;

  // The gate closes by itself at the renew deadline, though the runner is still stuck in renew.
  ASSERT_TRUE(
      wait_until([this] { return !elector->gate().may_write(); }, until(gate_deadline + 50ms), 5ms))
      << "writes still allowed " << seconds_between(last_renew, std::chrono::steady_clock::now())
      << " s after the last renew (renew deadline 2 s)";
  EXPECT_TRUE(elector->is_leader()) << "the runner should still be stuck, not have given up";
  EXPECT_EQ(lease_client->held(), 1);
  // Not yet unhealthy: that waits for the lease duration plus the margin.
  ASSERT_LT(std::chrono::steady_clock::now() + kProbeTime, health_limit);
  EXPECT_EQ(probe("/healthz").status, 200) << "/healthz failed before lease duration + margin";

  ASSERT_TRUE(
      wait_until([this] { return healthz_status_is(500); }, until(health_limit + kLateness), 20ms))
      << "/healthz still answers " << probe("/healthz").status << " "
      << seconds_between(last_renew, std::chrono::steady_clock::now())
      << " s after the last renew (limit 3.5 s)";
  EXPECT_GE(std::chrono::steady_clock::now(), health_limit);
  EXPECT_FALSE(elector->gate().may_write());
  EXPECT_EQ(lease_client->held(), 1) << "the renew should still be wedged";

  const Answer all = probe("/healthz");
  EXPECT_EQ(all.status, 500);
  EXPECT_NE(all.body.find("[-]leader-election failed: leading, but the lease was last renewed "),
            std::string::npos)
      << all.body;
  EXPECT_NE(all.body.find("[+]ping ok\n"), std::string::npos) << all.body;
  EXPECT_TRUE(all.body.ends_with("healthz check failed\n")) << all.body;

  const Answer verbose = probe("/healthz?verbose");
  EXPECT_EQ(verbose.status, 500);
  EXPECT_NE(
      verbose.body.find("[-]leader-election failed: leading, but the lease was last renewed "),
      std::string::npos)
      << verbose.body;

  const Answer one = probe("/healthz/leader-election");
  EXPECT_EQ(one.status, 500);
  EXPECT_TRUE(
      one.body.starts_with("internal server error: leading, but the lease was last renewed "))
      << one.body;
  EXPECT_NE(one.body.find("(limit 3.5s)"), std::string::npos) << one.body;

  // Only that check fails.
  EXPECT_EQ(probe("/healthz?exclude=leader-election").status, 200);
}

}  // namespace
}  // namespace hso::http
