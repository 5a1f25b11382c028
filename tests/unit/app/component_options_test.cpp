#include "hso/app/component_options.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace hso::app {
namespace {

using namespace std::chrono_literals;

TEST(DesiredOptionsTest, ComeFromTheOperatorConfig) {
  config::OperatorConfig config;
  config.publish_not_ready = false;
  config.legacy_endpoints = true;
  config.adopt_legacy = false;
  config.relaxed_service_names = true;
  config.publish_ports = false;
  config.subdomain_records = false;
  config.subdomain_hostname_aliases = false;
  config.cluster_domain = "corp.example";
  config.namespaces = {"a", "b"};
  const reconciler::plan::ReconcileOptions options = reconcile_options(config);
  EXPECT_FALSE(options.subdomain_records);
  EXPECT_FALSE(options.subdomain_hostname_aliases);
  EXPECT_EQ(options.cluster_domain, "corp.example");
  EXPECT_FALSE(options.publish_not_ready);
  EXPECT_TRUE(options.legacy_endpoints);
  EXPECT_FALSE(options.adopt_legacy);
  EXPECT_TRUE(options.relaxed_service_names);
  EXPECT_FALSE(options.publish_ports);
  EXPECT_EQ(options.namespaces, (std::vector<std::string>{"a", "b"}));
}

TEST(ControllerOptionsTest, ComeFromTheOperatorConfig) {
  config::OperatorConfig config;
  config.namespaces = {"a"};
  config.pod_annotation = "example.com/headless";
  config.pod_selector = "app=web";
  config.workers = 7;
  config.resync_period = 90s;
  config.legacy_endpoints = true;
  const controller::ControllerOptions options = controller_options(config);
  EXPECT_EQ(options.namespaces, (std::vector<std::string>{"a"}));
  EXPECT_EQ(options.pod_annotation, "example.com/headless");
  EXPECT_EQ(options.pod_selector, "app=web");
  EXPECT_EQ(options.worker_options.workers, 7);
  EXPECT_EQ(options.worker_options.resync_period, 90s);
  EXPECT_TRUE(options.reconcile.legacy_endpoints);
  EXPECT_EQ(options.reconcile.namespaces, (std::vector<std::string>{"a"}));
  EXPECT_EQ(options.namespace_selector, "");
}

TEST(ControllerOptionsTest, NamespaceSelector) {
  config::OperatorConfig config;
  config.namespace_selector = "team in (a,b)";
  EXPECT_EQ(controller_options(config).namespace_selector, "team in (a,b)");
}

}  // namespace
}  // namespace hso::app
