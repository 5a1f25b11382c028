#include "hso/controller/namespace_selection.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "hso/controller/scope_handlers.hpp"
#include "hso/controller/service_watches.hpp"
#include "support/mock_api_client.hpp"
#include "support/pod_builder.hpp"
#include "support/work_queue_drain.hpp"

namespace hso::controller {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr const char* kAnnotation = "srcd.host/create-headless-service";

json namespace_object(const std::string& name, const json& labels = json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata", {{"name", name}, {"uid", "uid-" + name}, {"labels", labels}}},
          {"spec", {{"finalizers", {"kubernetes"}}}},
          {"status", {{"phase", "Active"}}}};
}

json pod(const std::string& ns, const std::string& name, const std::string& asks = "true") {
  using namespace std::chrono_literals;
  return test::PodBuilder(name)
      .in(ns)
      .uid("uid-" + ns + "-" + name)
      .created(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1) + 12h)
      .annotated(kAnnotation, asks)
      .running({"10.0.0.7"})
      .served();
}

json owned_service(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"uid", "uid-svc-" + name},
            {"resourceVersion", "42"},
            {"labels", {{"app.kubernetes.io/managed-by", "k8s-pod-headless-service-operator"}}}}},
          {"spec", {{"clusterIP", "None"}}}};
}

json owned_slice(const std::string& ns, const std::string& name, const std::string& service) {
  return {
      {"apiVersion", "discovery.k8s.io/v1"},
      {"kind", "EndpointSlice"},
      {"metadata",
       {{"name", name}, {"namespace", ns}, {"labels", {{"kubernetes.io/service-name", service}}}}},
      {"addressType", "IPv4"},
      {"endpoints", json::array()}};
}

LabelSelector selector(const std::string& text) {
  auto parsed = LabelSelector::parse(text);
  if (!parsed)
    throw std::invalid_argument(text);
  return *parsed;
}

workqueue::WorkQueueOptions manual_delays() {
  workqueue::WorkQueueOptions options;
  options.run_delay_thread = false;
  return options;
}

TEST(ProjectNamespaceTest, KeepsNameAndStringLabels) {
  const auto projected =
      project_namespace(namespace_object("team-a", {{"hso-test", "on"}, {"odd", 7}}));
  ASSERT_TRUE(projected);
  EXPECT_EQ(projected->name, "team-a");
  EXPECT_EQ(projected->labels, (Labels{{"hso-test", "on"}}));
  EXPECT_EQ(project_namespace(namespace_object("bare", nullptr))->labels, Labels{});
  EXPECT_FALSE(project_namespace(json{{"metadata", {{"labels", {{"a", "b"}}}}}}));
}

TEST(NamespaceSelectionTest, KeepsOnlyMatchingNamespaces) {
  NamespaceSelection selection(selector("hso-test=on"));
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "on"}}));
  selection.store().upsert(namespace_object("team-b", {{"hso-test", "off"}}));
  selection.store().upsert(namespace_object("team-c"));
  EXPECT_TRUE(selection.selected("team-a"));
  EXPECT_FALSE(selection.selected("team-b"));
  EXPECT_FALSE(selection.selected("team-c"));
  EXPECT_FALSE(selection.selected("never-seen"));
  EXPECT_EQ(selection.store().size(), 1U) << "a namespace that does not match is not kept";

  selection.store().upsert(namespace_object("team-a", {{"hso-test", "off"}}));
  EXPECT_FALSE(selection.selected("team-a"));
  selection.store().upsert(namespace_object("team-b", {{"hso-test", "on"}}));
  EXPECT_TRUE(selection.selected("team-b"));
  selection.store().remove(namespace_object("team-b", {{"hso-test", "on"}}));
  EXPECT_FALSE(selection.selected("team-b"));
}

// The caches of the cluster scope with the namespace indexes, a selection and a queue, wired as
// ServiceWatches wires them.
class NamespaceEnqueueTest : public ::testing::Test {
 protected:
  NamespaceEnqueueTest() {
    scopes.push_back(make_scope_caches("", kAnnotation, /*legacy_endpoints=*/true));
    add_namespace_indexes(*scopes.front());
    enqueue_changes(*scopes.front(), queue);
    selection.enqueue_changes(scopes, queue);
    directory = std::make_unique<CacheDirectory>(scopes);
  }

  ScopeCaches& scope() { return *scopes.front(); }

  std::vector<std::string> take_queued() { return test::take_queued(queue); }

  // Pods and owned objects in two namespaces; the queue emptied after.
  void fill_two_namespaces() {
    scope().pods->upsert(pod("team-a", "web-0"));
    scope().pods->upsert(pod("team-a", "web-1"));
    scope().pods->upsert(pod("team-a", "quiet", "false"));
    scope().pods->upsert(pod("team-b", "db-0"));
    scope().services->upsert(owned_service("team-a", "web-0"));
    scope().services->upsert(owned_service("team-a", "orphan"));
    scope().endpoint_slices->upsert(owned_slice("team-a", "gone-ipv4", "gone"));
    scope().endpoints->upsert(owned_service("team-a", "legacy"));
    scope().services->upsert(owned_service("team-b", "db-0"));
    take_queued();
  }

  FakeClock clock;
  workqueue::WorkQueue queue{manual_delays(), clock};
  std::vector<std::unique_ptr<ScopeCaches>> scopes;
  NamespaceSelection selection{selector("hso-test=on")};
  std::unique_ptr<CacheDirectory> directory;
};

TEST_F(NamespaceEnqueueTest, ANamespaceThatStartsMatchingEnqueuesEveryKeyInIt) {
  fill_two_namespaces();
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "on"}}));
  EXPECT_THAT(take_queued(), UnorderedElementsAre("team-a/web-0", "team-a/web-1", "team-a/orphan",
                                                  "team-a/gone", "team-a/legacy"));
}

TEST_F(NamespaceEnqueueTest, ANamespaceThatStopsMatchingEnqueuesEveryKeyInIt) {
  fill_two_namespaces();
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "on"}}));
  take_queued();
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "off"}}));
  EXPECT_THAT(take_queued(), UnorderedElementsAre("team-a/web-0", "team-a/web-1", "team-a/orphan",
                                                  "team-a/gone", "team-a/legacy"));
}

TEST_F(NamespaceEnqueueTest, ADeletedSelectedNamespaceEnqueuesEveryKeyInIt) {
  fill_two_namespaces();
  selection.store().upsert(namespace_object("team-b", {{"hso-test", "on"}}));
  take_queued();
  selection.store().remove(namespace_object("team-b", {{"hso-test", "on"}}));
  EXPECT_THAT(take_queued(), UnorderedElementsAre("team-b/db-0"));
}

TEST_F(NamespaceEnqueueTest, ChangesThatKeepTheSelectionEnqueueNothing) {
  fill_two_namespaces();
  selection.store().upsert(namespace_object("team-b", {{"hso-test", "off"}}));
  selection.store().upsert(namespace_object("team-b", {{"hso-test", "still-off"}}));
  EXPECT_THAT(take_queued(), IsEmpty()) << "never selected";
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "on"}}));
  take_queued();
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "on"}, {"more", "x"}}));
  EXPECT_THAT(take_queued(), IsEmpty()) << "still selected";
  selection.store().remove(namespace_object("team-b"));
  EXPECT_THAT(take_queued(), IsEmpty()) << "an unselected namespace going away";
}

TEST_F(NamespaceEnqueueTest, ARelistReportsOnlyWhatChangedSelection) {
  fill_two_namespaces();
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "on"}}));
  take_queued();
  auto relist = selection.store().begin_replace();
  relist->add(namespace_object("team-a", {{"hso-test", "on"}}));
  relist->add(namespace_object("team-b", {{"hso-test", "on"}}));
  relist->commit();
  EXPECT_THAT(take_queued(), UnorderedElementsAre("team-b/db-0"));
}

TEST_F(NamespaceEnqueueTest, ListsTheKeysOfOneNamespace) {
  fill_two_namespaces();
  // A key comes once for each object under it (the pod and its Service here): the queue folds them.
  std::vector<std::string> keys;
  list_namespace_keys(scope(), "team-b", [&keys](const std::string& key) { keys.push_back(key); });
  EXPECT_THAT(keys, UnorderedElementsAre("team-b/db-0", "team-b/db-0"));
  keys.clear();
  list_namespace_keys(scope(), "team-a", [&keys](const std::string& key) { keys.push_back(key); });
  EXPECT_THAT(keys, UnorderedElementsAre("team-a/web-0", "team-a/web-0", "team-a/web-1",
                                         "team-a/orphan", "team-a/gone", "team-a/legacy"));
  keys.clear();
  list_namespace_keys(scope(), "nowhere", [&keys](const std::string& key) { keys.push_back(key); });
  EXPECT_THAT(keys, IsEmpty());
}

TEST_F(NamespaceEnqueueTest, PodsOfANamespaceNotSelectedAreNotReadByTheReconciler) {
  fill_two_namespaces();
  SelectedNamespacePods pods(*directory, selection);
  EXPECT_THAT(pods.pods_for("team-a", "web-0"), IsEmpty()) << "team-a not seen yet";
  selection.store().upsert(namespace_object("team-a", {{"hso-test", "on"}}));
  EXPECT_THAT(pods.pods_for("team-a", "web-0"), SizeIs(1));
  EXPECT_THAT(pods.pods_for("team-b", "db-0"), IsEmpty());
  EXPECT_THAT(directory->pods_for("team-b", "db-0"), SizeIs(1))
      << "the cache keeps the asking pods of every namespace";
  selection.store().upsert(namespace_object("team-a"));
  EXPECT_THAT(pods.pods_for("team-a", "web-0"), IsEmpty());
}

TEST(ServiceWatchesTest, WatchesNamespacesOnlyWithASelector) {
  ::testing::NiceMock<test::MockApiClient> client;
  metrics::WatchMetrics metrics;
  FakeClock clock;
  ControllerOptions options;
  options.pod_annotation = kAnnotation;
  {
    const ServiceWatches watches(client, options, metrics, clock);
    EXPECT_THAT(watches.unsynced_reason(), Not(HasSubstr("namespaces")));
  }
  options.namespace_selector = "hso-test=on";
  ServiceWatches watches(client, options, metrics, clock);
  // Not started: nothing has synced, and readiness waits for the Namespaces too.
  EXPECT_FALSE(watches.has_synced());
  EXPECT_THAT(watches.unsynced_reason(), HasSubstr("namespaces listing"));
  EXPECT_THAT(watches.pods().pods_for("team-a", "web-0"), IsEmpty());

  options.namespace_selector = "hso-test in ()";
  EXPECT_THROW({ const ServiceWatches refused(client, options, metrics, clock); },
               std::invalid_argument);
}

}  // namespace
}  // namespace hso::controller
