#include "hso/app/operator_app.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "hso/app/component_options.hpp"
#include "hso/app/permission_monitor.hpp"
#include "hso/app/shutdown_latch.hpp"
#include "hso/build_info.hpp"
#include "hso/controller/headless_service_controller.hpp"
#include "hso/http/bind_address.hpp"
#include "hso/http/health_checks.hpp"
#include "hso/http/http_endpoint.hpp"
#include "hso/http/probe_routes.hpp"
#include "hso/http/scrape_authorizer.hpp"
#include "hso/http/standard_health_checks.hpp"
#include "hso/http/tls_identity.hpp"
#include "hso/kube/client_config.hpp"
#include "hso/kube/errors.hpp"
#include "hso/kube/http_api_client.hpp"
#include "hso/leaderelection/leader_election_runner.hpp"
#include "hso/leaderelection/leader_identity.hpp"
#include "hso/leaderelection/lease_elector.hpp"
#include "hso/metrics/operator_metrics.hpp"

namespace hso::app {
namespace {

using namespace std::chrono_literals;

// A worker on one key for this long is stuck: every request has its own timeout far below it.
constexpr auto kStuckWorkerBound = 10min;
// How much later than the lease duration a leader's last renew may be before /healthz fails.
constexpr auto kRenewHealthMargin = 5s;

std::shared_ptr<kube::RequestObserver> non_owning(kube::RequestObserver& observer) {
  return std::shared_ptr<kube::RequestObserver>(std::shared_ptr<void>{}, &observer);
}

// The listeners for /metrics and for the probes; either may be off ("0").
class Listeners {
 public:
  Listeners(const config::OperatorConfig& config, metrics::MetricsRegistry& registry,
            const http::HealthChecks& healthz, const http::HealthChecks& readyz,
            kube::ApiClient& api) {
    if (auto address = http::parse_bind_address(config.metrics_bind_address)) {
      std::unique_ptr<httplib::Server> server;
      if (config.metrics_secure) {
        const auto identity =
            config.metrics_cert_file.empty()
                ? http::make_self_signed_identity(build_info::kProgramName, {"localhost"},
                                                  {"127.0.0.1", "::1"})
                : http::load_tls_identity(config.metrics_cert_file, config.metrics_key_file);
        server = http::make_tls_server(identity);
        authorizer_ = std::make_unique<http::ScrapeAuthorizer>(api, SystemClock::instance());
      } else {
        server = std::make_unique<httplib::Server>();
      }
      metrics_ = std::make_unique<http::HttpEndpoint>("metrics", std::move(server));
      http::register_metrics_route(metrics_->server(), registry, authorizer_.get());
      const int port = metrics_->start(*address);
      spdlog::info("serving /metrics on port {}{}", port, config.metrics_secure ? " (TLS)" : "");
    }
    if (auto address = http::parse_bind_address(config.health_probe_bind_address)) {
      probes_ = std::make_unique<http::HttpEndpoint>("probes");
      http::register_health_routes(probes_->server(), healthz, readyz);
      const int port = probes_->start(*address);
      spdlog::info("serving /healthz and /readyz on port {}", port);
    }
  }

  void stop() {
    if (metrics_)
      metrics_->stop();
    if (probes_)
      probes_->stop();
  }

 private:
  std::unique_ptr<http::ScrapeAuthorizer> authorizer_;
  std::unique_ptr<http::HttpEndpoint> metrics_;
  std::unique_ptr<http::HttpEndpoint> probes_;
};

std::string lease_namespace(const config::OperatorConfig& config) {
  if (!config.leader_election_namespace.empty())
    return config.leader_election_namespace;
  return leaderelection::default_lease_namespace();
}

// A command line that cannot run (exit status 2, as for a flag the parser rejects).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Step 1: the Lease's settings, or nullopt with --leader-elect=false.
std::optional<leaderelection::LeaseElectorConfig> lease_settings(
    const config::OperatorConfig& config, const std::string& identity) {
  if (!config.leader_elect)
    return std::nullopt;
  leaderelection::LeaseElectorConfig lease;
  lease.lease_namespace = lease_namespace(config);
  if (lease.lease_namespace.empty()) {
    throw UsageError(
        "--leader-election-namespace is required outside a pod (or set POD_NAMESPACE, or "
        "--leader-elect=false)");
  }
  lease.lease_name = config.leader_election_id;
  lease.identity = identity;
  lease.lease_duration = config.lease_duration;
  lease.renew_deadline = config.renew_deadline;
  lease.retry_period = config.retry_period;
  leaderelection::validate(lease);
  return lease;
}

// Step 2: the three clients of the API server and the elector between them. The reader (lists,
// watches, reviews) and the writer share the rate limit and the server's pushback; the lease has
// a connection of its own, a short timeout and no share of either: reconcile traffic must never
// cost the lease. Every attempt of every write asks the leadership gate first, after any
// rate-limit wait, and must land before the lease could pass to another replica.
struct ApiClients {
  std::unique_ptr<kube::HttpApiClient> reader;
  std::unique_ptr<kube::ApiClient> lease;
  std::unique_ptr<leaderelection::LeaseElector> elector;
  std::unique_ptr<kube::ApiClient> writer;
};

ApiClients connect(const config::OperatorConfig& config,
                   const std::optional<leaderelection::LeaseElectorConfig>& lease,
                   PermissionMonitor& permissions, metrics::OperatorMetrics& metrics,
                   const Clock& clock) {
  kube::ClientOptions options;
  options.qps = config.kube_api_qps;
  options.burst = config.kube_api_burst;
  // Lists, watches and writes share one flow at the server, so a 429 to any of them quiets all.
  options.pushback = std::make_shared<kube::ServerPushback>(clock);
  options.observer = non_owning(permissions);
  ApiClients clients;
  clients.reader =
      kube::make_api_client(kube::load_client_config(config.kubeconfig, config.context), options);
  kube::ClientOptions write_options = options;
  if (lease) {
    kube::ClientOptions lease_options = options;
    lease_options.qps = 0;
    lease_options.pushback = nullptr;  // a squeeze on the work must not delay a renew
    lease_options.timeout = leaderelection::lease_request_timeout(*lease);
    lease_options.connect_timeout = lease_options.timeout;
    lease_options.max_retries = 0;
    clients.lease = clients.reader->make_independent(lease_options);
    clients.elector = std::make_unique<leaderelection::LeaseElector>(*clients.lease, clock, *lease,
                                                                     metrics.leader());
    write_options.write_timeout = leaderelection::leader_write_timeout(*lease);
    write_options.before_write = [elector = clients.elector.get()] {
      if (!elector->gate().may_write())
        throw kube::WriteNotAllowed();
    };
  }
  clients.writer = clients.reader->make_independent(write_options);
  return clients;
}

// Step 3: what /healthz and /readyz check.
void add_health_checks(http::HealthChecks& healthz, http::HealthChecks& readyz,
                       controller::HeadlessServiceController& controller,
                       const leaderelection::LeaseElector* elector,
                       const PermissionMonitor& permissions, const config::OperatorConfig& config,
                       const Clock& clock) {
  healthz.add("ping", [] { return http::CheckResult{}; });
  healthz.add("workers", http::stuck_worker_check(
                             [&controller] {
                               return std::chrono::duration<double>(controller.longest_running());
                             },
                             kStuckWorkerBound));
  if (elector != nullptr) {
    healthz.add("leader-election",
                http::lease_renew_check([elector] { return elector->gate().last_renew(); }, clock,
                                        config.lease_duration + kRenewHealthMargin));
  }
  readyz.add("informers-synced",
             http::informers_synced_check([&controller] { return controller.unsynced_reason(); }));
  readyz.add("permissions",
             http::permissions_check([&permissions] { return permissions.denied(); }));
}

// Step 4: leading. With an elector the workers run while this replica leads; a lost lease steps
// down in place: the gate already refuses every write; the workers are joined and their queued
// work dropped before the runner stands again, while the caches stay warm. A control-plane blip
// thus costs no restart (and no crash-loop alert).
std::unique_ptr<leaderelection::LeaderElectionRunner> start_leading(
    leaderelection::LeaseElector* elector, controller::HeadlessServiceController& controller,
    metrics::OperatorMetrics& metrics, const Clock& clock) {
  if (elector == nullptr) {
    controller.start_workers();
    return nullptr;
  }
  leaderelection::LeaderCallbacks callbacks;
  callbacks.on_started_leading = [&controller] {
    spdlog::info("became the leader");
    controller.start_workers();
  };
  callbacks.on_stopped_leading = [&controller](leaderelection::LeadershipEnd end) {
    if (end == leaderelection::LeadershipEnd::kLost) {
      spdlog::warn("stepping down: leadership lost; stopping the reconcile workers");
      controller.stop_workers();
    }
  };
  auto runner = std::make_unique<leaderelection::LeaderElectionRunner>(*elector, clock,
                                                                       metrics.leader(), callbacks);
  runner->start();
  return runner;
}

// Step 5: shutting down after a signal (exit 0) or a lost lease (non-zero): stop leading, drain
// the workers, release the lease if this replica led to the end, stop the listeners.
int shut_down(int exit_code, leaderelection::LeaderElectionRunner* runner,
              leaderelection::LeaseElector* elector,
              controller::HeadlessServiceController& controller, Listeners& listeners,
              const config::OperatorConfig& config) {
  const bool was_leading = elector != nullptr && elector->is_leader();
  if (runner != nullptr)
    runner->stop();
  // After a lost lease the gate already refuses every write, so nothing is worth waiting for.
  const auto drain_bound = exit_code == 0 ? config.graceful_shutdown_timeout : 0ms;
  if (!controller.drain(drain_bound)) {
    // A reconcile stuck in a request (to an API server this replica cannot reach, say) must not
    // hold up the exit: its writes are refused by the gate or bounded by the write timeout. The
    // lease is not released, because a write attempt could still be in flight; a standby waits
    // the lease out instead.
    spdlog::warn("exiting with reconciles still running, without releasing the lease");
    spdlog::default_logger()->flush();
    std::_Exit(exit_code);
  }
  controller.stop();
  // Hand over at once instead of making a standby wait out the lease.
  if (was_leading && exit_code == 0 && elector->release())
    spdlog::info("lease released");
  listeners.stop();
  spdlog::info("stopped");
  return exit_code;
}

int run(const config::OperatorConfig& config) {
  const Clock& clock = SystemClock::instance();
  const std::string identity = leaderelection::make_leader_identity();
  spdlog::info("{} {} (commit {}) starting as {}", build_info::kProgramName, build_info::kVersion,
               build_info::kGitCommit, identity);
  spdlog::info("configuration: {}", config::describe(config));

  const auto lease = lease_settings(config, identity);
  metrics::OperatorMetrics metrics(config.leader_election_id);
  PermissionMonitor permissions(metrics.api_requests());
  const ApiClients clients = connect(config, lease, permissions, metrics, clock);

  controller::HeadlessServiceController controller(
      *clients.reader, *clients.writer, controller_options(config),
      {metrics.reconcile(), metrics.queue(), metrics.watch()}, identity, clock);
  metrics.registry().add_collect_hook([&controller, &metrics] {
    metrics.reconcile().set_pods_watched(controller.pods_watched());
    controller.queue().report_gauges();
  });
  http::HealthChecks healthz("healthz");
  http::HealthChecks readyz("readyz");
  add_health_checks(healthz, readyz, controller, clients.elector.get(), permissions, config, clock);

  ShutdownLatch latch;
  SignalWatcher signals(latch);
  Listeners listeners(config, metrics.registry(), healthz, readyz, *clients.reader);
  controller.start();
  const auto runner = start_leading(clients.elector.get(), controller, metrics, clock);
  return shut_down(latch.wait(), runner.get(), clients.elector.get(), controller, listeners,
                   config);
}

}  // namespace

int run_operator(const config::OperatorConfig& config) {
  SignalWatcher::block_termination_signals();
  try {
    return run(config);
  } catch (const UsageError& error) {
    spdlog::error("{}", error.what());
    return 2;
  } catch (const kube::ConfigError& error) {
    spdlog::error("cannot reach the API server: {}", error.what());
    return 1;
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
}

}  // namespace hso::app
