#include "hso/controller/scope_handlers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/pod_builder.hpp"
#include "support/work_queue_drain.hpp"

namespace hso::controller {
namespace {

using nlohmann::json;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr const char* kAnnotation = "srcd.host/create-headless-service";

json owned_service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name},
            {"namespace", "ns"},
            {"uid", "uid-" + name},
            {"resourceVersion", "42"},
            {"labels", {{"app.kubernetes.io/managed-by", "k8s-pod-headless-service-operator"}}}}},
          {"spec", {{"clusterIP", "None"}}}};
}

json owned_slice(const std::string& name, const std::string& service_name) {
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"name", name},
            {"namespace", "ns"},
            {"labels", {{"kubernetes.io/service-name", service_name}}}}},
          {"addressType", "IPv4"},
          {"endpoints", json::array()}};
}

json pod(const std::string& name, std::optional<std::string> asks, std::string hostname = {}) {
  using namespace std::chrono_literals;
  test::PodBuilder builder(name);
  builder.in("ns")
      .uid("uid-" + name)
      .created(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1) + 12h)
      .running({"10.0.0.7"});
  if (asks)
    builder.annotated(kAnnotation, *asks);
  if (!hostname.empty())
    builder.hostname(std::move(hostname));
  return builder.served();
}

// Delayed keys move only when the test promotes them.
workqueue::WorkQueueOptions manual_delays() {
  workqueue::WorkQueueOptions options;
  options.run_delay_thread = false;
  return options;
}

class ScopeHandlersTest : public ::testing::Test {
 protected:
  ScopeHandlersTest() { enqueue_changes(*scope, queue); }

  std::vector<std::string> take_queued() { return test::take_queued(queue); }

  FakeClock clock;
  workqueue::WorkQueue queue{manual_delays(), clock};
  std::unique_ptr<ScopeCaches> scope =
      make_scope_caches("", kAnnotation, /*legacy_endpoints=*/true);
};

TEST_F(ScopeHandlersTest, AnAnnotatedPodEnqueuesTheKeyOfItsService) {
  scope->pods->upsert(pod("web-0", "true", "db"));
  EXPECT_THAT(take_queued(), UnorderedElementsAre("ns/db"));
}

TEST_F(ScopeHandlersTest, APodThatDoesNotAskEnqueuesNothing) {
  scope->pods->upsert(pod("web-0", std::nullopt));
  scope->pods->upsert(pod("web-1", "false"));
  EXPECT_THAT(take_queued(), IsEmpty());
}

TEST_F(ScopeHandlersTest, APodThatStopsAskingEnqueuesTheKeyItAskedFor) {
  scope->pods->upsert(pod("web-0", "true"));
  ASSERT_THAT(take_queued(), UnorderedElementsAre("ns/web-0"));
  scope->pods->upsert(pod("web-0", "false"));
  EXPECT_THAT(take_queued(), UnorderedElementsAre("ns/web-0"));
  json gone = pod("web-0", "false");
  scope->pods->remove(gone);
  EXPECT_THAT(take_queued(), IsEmpty()) << "a pod no longer kept is not reported again";
}

TEST(ScopeHandlersSubdomainTest, AMemberEnqueuesItsOwnKeyAndItsSubdomains) {
  FakeClock clock;
  workqueue::WorkQueue queue{manual_delays(), clock};
  auto scope = make_scope_caches("", kAnnotation, /*legacy_endpoints=*/false,
                                 /*subdomain_records=*/true);
  enqueue_changes(*scope, queue);
  json member = pod("web-0", "true");
  member["spec"]["subdomain"] = "s";
  scope->pods->upsert(member);
  EXPECT_THAT(test::take_queued(queue), UnorderedElementsAre("ns/web-0", "ns/s"));
  scope->pods->upsert(pod("web-1", "true"));
  EXPECT_THAT(test::take_queued(queue), UnorderedElementsAre("ns/web-1"));
  json stops = member;
  stops["metadata"]["annotations"][kAnnotation] = "false";
  scope->pods->upsert(stops);
  EXPECT_THAT(test::take_queued(queue), UnorderedElementsAre("ns/web-0", "ns/s"))
      << "the subdomain loses a member";
  std::vector<std::string> keys;
  scope->pods->upsert(member);
  list_keys(*scope, [&keys](const std::string& key) { keys.push_back(key); });
  EXPECT_THAT(keys, UnorderedElementsAre("ns/web-0", "ns/s", "ns/web-1"));
}

TEST_F(ScopeHandlersTest, WithSubdomainRecordsOffAMemberEnqueuesOnlyItsOwnKey) {
  json member = pod("web-0", "true");
  member["spec"]["subdomain"] = "s";
  scope->pods->upsert(member);
  EXPECT_THAT(take_queued(), UnorderedElementsAre("ns/web-0"));
}

TEST_F(ScopeHandlersTest, OwnedObjectsEnqueueTheKeyTheyBelongTo) {
  scope->services->upsert(owned_service("web-0"));
  scope->endpoint_slices->upsert(owned_slice("web-1-ipv4", "web-1"));
  scope->endpoints->upsert(owned_service("web-2"));
  EXPECT_THAT(take_queued(), UnorderedElementsAre("ns/web-0", "ns/web-1", "ns/web-2"));

  json changed = owned_service("web-0");
  changed["metadata"]["resourceVersion"] = "43";
  scope->services->upsert(changed);
  scope->endpoint_slices->remove(owned_slice("web-1-ipv4", "web-1"));
  EXPECT_THAT(take_queued(), UnorderedElementsAre("ns/web-0", "ns/web-1"));
}

TEST_F(ScopeHandlersTest, AnUnlabelledSliceBelongsToNoKey) {
  json stray = owned_slice("stray", "web-0");
  stray["metadata"].erase("labels");
  scope->endpoint_slices->upsert(stray);
  EXPECT_THAT(take_queued(), IsEmpty());
}

TEST_F(ScopeHandlersTest, APassListsAskingPodsOwnedServicesAndSlices) {
  scope->pods->upsert(pod("web-0", "true"));
  scope->pods->upsert(pod("web-1", std::nullopt));
  scope->services->upsert(owned_service("old"));
  scope->endpoint_slices->upsert(owned_slice("gone-ipv4", "gone"));
  std::vector<std::string> keys;
  list_keys(*scope, [&keys](const std::string& key) { keys.push_back(key); });
  EXPECT_THAT(keys, UnorderedElementsAre("ns/web-0", "ns/old", "ns/gone"));
}

}  // namespace
}  // namespace hso::controller
