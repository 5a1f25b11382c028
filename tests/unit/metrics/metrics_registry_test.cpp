#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "hso/build_info.hpp"
#include "hso/metrics/operator_metrics.hpp"

namespace hso::metrics {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void populate_everything(OperatorMetrics& metrics) {
  metrics.reconcile().object_written(ObjectKind::kService, WriteAction::kCreate);
  metrics.reconcile().object_written(ObjectKind::kEndpointSlice, WriteAction::kUpdate);
  metrics.reconcile().object_written(ObjectKind::kEndpoints, WriteAction::kDelete);
  metrics.reconcile().reconcile_finished(ReconcileResult::kSuccess, Seconds(0.012));
  metrics.reconcile().reconcile_finished(ReconcileResult::kError, Seconds(0.3));
  metrics.reconcile().set_pods_watched(12);
  metrics.reconcile().set_pods_managed(7);
  metrics.reconcile().set_pods_skipped(SkipReason::kCollision, 2);
  metrics.queue().added();
  metrics.queue().set_depth(3);
  metrics.queue().retried();
  metrics.queue().waited(Seconds(0.002));
  metrics.queue().worked(Seconds(0.02));
  metrics.queue().set_longest_running(Seconds(1.5));
  metrics.queue().set_unfinished_work(Seconds(2.5));
  metrics.watch().watch_restarted("pods");
  metrics.watch().relisted("pods");
  metrics.watch().event_received("pods", "ADDED");
  metrics.leader().set_leader(true);
  metrics.leader().transitioned();
  metrics.leader().renew_failed();
  metrics.api_requests().on_request("update", "leases", 200, 0.01s);
  metrics.api_requests().on_request("create", "services", 0, 5.0s);
}

TEST(MetricsRegistryTest, SerializesEveryFamily) {
  OperatorMetrics metrics("my-lease");
  populate_everything(metrics);
  const std::string text = metrics.registry().serialize();
  EXPECT_TRUE(contains(
      text,
      "headless_service_operator_object_writes_total{action=\"create\",resource=\"services\"} 1"));
  EXPECT_TRUE(contains(text,
                       "headless_service_operator_object_writes_total{action=\"update\","
                       "resource=\"endpointslices\"} 1"));
  EXPECT_TRUE(contains(text, "headless_service_operator_reconciles_total{result=\"error\"} 1"));
  EXPECT_TRUE(contains(text, "headless_service_operator_reconcile_errors_total 1"));
  EXPECT_TRUE(contains(text, "headless_service_operator_reconcile_duration_seconds_count 2"));
  EXPECT_TRUE(contains(text, "headless_service_operator_pods_skipped{reason=\"collision\"} 2"));
  EXPECT_TRUE(contains(text, "headless_service_operator_pods_skipped{reason=\"invalid_name\"} 0"));
  EXPECT_TRUE(
      contains(text, "headless_service_operator_pods_skipped{reason=\"annotation_value\"} 0"));
  // A 403 is the operator's RBAC, not the pod's: it is counted in api_requests_total{code="403"}
  // and fails /readyz/permissions, and no pod is reported skipped for it.
  EXPECT_FALSE(contains(text, "reason=\"forbidden\""));
  EXPECT_TRUE(contains(text, "headless_service_operator_workqueue_depth 3"));
  EXPECT_TRUE(
      contains(text, "headless_service_operator_workqueue_longest_running_processor_seconds 1.5"));
  EXPECT_TRUE(contains(text, "leader_election_master_status{name=\"my-lease\"} 1"));
  EXPECT_TRUE(contains(text,
                       "headless_service_operator_api_requests_total{code=\"error\","
                       "resource=\"services\",verb=\"create\"} 1"));
  EXPECT_TRUE(contains(text,
                       "headless_service_operator_watch_events_total{resource=\"pods\","
                       "type=\"ADDED\"} 1"));
  EXPECT_TRUE(contains(text, std::string("headless_service_operator_build_info{commit=\"") +
                                 build_info::kGitCommit + "\",version=\"" + build_info::kVersion +
                                 "\"} 1"));
  EXPECT_TRUE(contains(text, "# TYPE process_cpu_seconds_total counter"));
  EXPECT_TRUE(contains(text, "process_resident_memory_bytes "));
  EXPECT_TRUE(contains(text, "# HELP headless_service_operator_workqueue_adds_total "));
}

TEST(MetricsRegistryTest, CollectHooksRunBeforeEachScrape) {
  OperatorMetrics metrics("lease");
  int scrapes = 0;
  metrics.registry().add_collect_hook([&] {
    ++scrapes;
    metrics.queue().set_longest_running(Seconds(scrapes * 10.0));
  });
  EXPECT_TRUE(contains(metrics.registry().serialize(),
                       "headless_service_operator_workqueue_longest_running_processor_seconds 10"));
  EXPECT_TRUE(contains(metrics.registry().serialize(),
                       "headless_service_operator_workqueue_longest_running_processor_seconds 20"));
}

TEST(MetricsRegistryTest, LeaderStatusFollowsSetLeader) {
  OperatorMetrics metrics("lease");
  EXPECT_TRUE(
      contains(metrics.registry().serialize(), "leader_election_master_status{name=\"lease\"} 0"));
  metrics.leader().set_leader(true);
  EXPECT_TRUE(
      contains(metrics.registry().serialize(), "leader_election_master_status{name=\"lease\"} 1"));
}

TEST(MetricsPromtoolTest, EveryFamilyPassesPromtoolCheckMetrics) {
  const char* promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus); "
                    "hack/install-deps.sh installs it";
  }
  OperatorMetrics metrics("my-lease");
  populate_everything(metrics);
  const auto dir =
      std::filesystem::temp_directory_path() / ("hso-promtool-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto input = dir / "metrics.txt";
  const auto output = dir / "promtool.out";
  std::ofstream(input) << metrics.registry().serialize();
  const std::string command = std::string(promtool) + " check metrics < " + input.string() + " > " +
                              output.string() + " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream result(output);
  const std::string report((std::istreambuf_iterator<char>(result)),
                           std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(status, 0) << report;
  EXPECT_EQ(report, "") << report;
}

}  // namespace
}  // namespace hso::metrics
