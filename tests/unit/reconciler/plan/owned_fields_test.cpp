#include "hso/reconciler/plan/owned_fields.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/desired_objects.hpp"
#include "hso/reconciler/plan/trigger_time.hpp"
#include "support/pod_builder.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const auto kCreated = std::chrono::sys_days(std::chrono::year(2026) / 12 / 1);

PodInfo winner(const std::string& ip = "10.0.0.1") {
  return test::PodBuilder("web-0")
      .in("team-a")
      .uid("uid-web-0")
      .created(kCreated)
      .asking()
      .running({ip}, "node-a")
      .ready()
      .info();
}

// What the API server adds to every object it returns.
json served(json object, const std::string& uid) {
  object["metadata"]["uid"] = uid;
  object["metadata"]["resourceVersion"] = "100";
  object["metadata"]["creationTimestamp"] = "2026-12-01T00:00:00Z";
  object["metadata"]["generation"] = 1;
  object["metadata"]["managedFields"] =
      json::array({{{"manager", "hso"}, {"operation", "Update"}}});
  return object;
}

json served_service() {
  json service = served(desired_service(winner(), "web-0", ReconcileOptions{}), "svc-uid");
  service["spec"]["clusterIPs"] = json::array({"None"});
  service["spec"]["ipFamilies"] = json::array({"IPv4"});
  service["spec"]["ipFamilyPolicy"] = "SingleStack";
  service["spec"]["sessionAffinity"] = "None";
  service["spec"]["internalTrafficPolicy"] = "Cluster";
  service["status"] = {{"loadBalancer", json::object()}};
  return service;
}

const ServiceRef kService{"team-a", "web-0", "svc-uid"};

json served_slice(const PodInfo& pod) {
  return served(desired_endpoint_slices(pod, kService, ReconcileOptions{}).at(0), "slice-uid");
}

json served_endpoints(const PodInfo& pod) {
  return served(desired_endpoints(pod, kService, ReconcileOptions{}), "ep-uid");
}

// Changes others (or time) may make to an owned object.
std::vector<std::function<void(json&)>> variations() {
  return {
      [](json&) {},
      [](json& o) { o["metadata"]["labels"]["team"] = "a"; },
      [](json& o) { o["metadata"]["labels"].erase("app.kubernetes.io/managed-by"); },
      [](json& o) { o["metadata"]["annotations"]["note"] = "kept by its writer"; },
      [](json& o) {
        o["metadata"]["ownerReferences"].push_back(
            {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "rs"}, {"uid", "rs-1"}});
      },
      [](json& o) { o["metadata"]["ownerReferences"][0]["uid"] = "someone-else"; },
      [](json& o) { o["metadata"]["deletionTimestamp"] = "2026-12-01T00:00:05Z"; },
      [](json& o) { o["metadata"].erase("resourceVersion"); },
      [](json& o) { o["spec"]["clusterIP"] = "10.96.0.7"; },
      [](json& o) {
        o["spec"]["selector"] = {{"app", "web"}};
      },
      [](json& o) {
        o["spec"]["ports"] = json::array({{{"name", "http"}, {"port", 80}}});
      },
      [](json& o) { o["spec"]["type"] = "NodePort"; },
      [](json& o) { o["endpoints"][0]["addresses"][0] = "10.0.0.9"; },
      [](json& o) { o["endpoints"][0]["conditions"]["ready"] = false; },
      [](json& o) {
        o["ports"] = json::array({{{"name", "dns"}, {"port", 53}}});
      },
      [](json& o) {
        o["metadata"]["annotations"][std::string(kLastChangeTriggerTimeAnnotation)] =
            "2026-11-30T00:00:00Z";
      },
      [](json& o) { o["subsets"] = json::array(); },
  };
}

TEST(ReconciledFieldsTest, KeepsWhatTheReconcilerReadsAndDropsWhatTheServerAdds) {
  json service = served_service();
  service["metadata"]["annotations"] = {{"note", "someone's"}};
  const json kept = reconciled_fields(service);
  EXPECT_EQ(kept, json({{"metadata",
                         {{"name", "web-0"},
                          {"namespace", "team-a"},
                          {"uid", "svc-uid"},
                          {"resourceVersion", "100"},
                          {"labels", service["metadata"]["labels"]},
                          {"ownerReferences", service["metadata"]["ownerReferences"]}}},
                        {"spec", {{"type", "ClusterIP"}, {"clusterIP", "None"}}}}));

  // A pod change to stamp: the slice then carries the trigger-time annotation, which is kept.
  PodInfo changed = winner();
  changed.last_change = kCreated + 5s;
  const json slice = served_slice(changed);
  const json kept_slice = reconciled_fields(slice);
  EXPECT_EQ(kept_slice["endpoints"], slice["endpoints"]);
  EXPECT_EQ(kept_slice["addressType"], "IPv4");
  // at(): operator[] of a const json on a missing member is undefined behaviour.
  ASSERT_TRUE(slice.at("metadata").contains("annotations")) << slice.dump();
  EXPECT_EQ(kept_slice.at("metadata").at("annotations").dump(),
            slice.at("metadata").at("annotations").dump());
  EXPECT_FALSE(kept_slice["metadata"].contains("managedFields"));
  EXPECT_FALSE(kept_slice["metadata"].contains("generation"));
  EXPECT_FALSE(kept_slice.contains("kind"));
}

TEST(ReconciledFieldsTest, AnythingButAnObjectIsLeftAsItIs) {
  EXPECT_EQ(reconciled_fields(json::array({1, 2})), json::array({1, 2}));
  EXPECT_EQ(reconciled_fields(json("text")), json("text"));
  EXPECT_EQ(reconciled_fields(json{{"metadata", "odd"}}), json({{"metadata", "odd"}}));
}

TEST(ReconciledFieldsTest, TheServicePlanIsTheSameAsFromTheWholeObject) {
  const auto pod = std::make_shared<const PodInfo>(winner());
  for (std::size_t i = 0; i < variations().size(); ++i) {
    json whole = served_service();
    variations()[i](whole);
    const json kept = reconciled_fields(whole);
    for (bool adopt : {true, false}) {
      ReconcileOptions options;
      options.adopt_legacy = adopt;
      const ServicePlan from_whole = plan_service("team-a", "web-0", {pod}, &whole, options);
      const ServicePlan from_kept = plan_service("team-a", "web-0", {pod}, &kept, options);
      EXPECT_EQ(from_kept.action, from_whole.action) << "variation " << i;
      EXPECT_EQ(from_kept.body, from_whole.body) << "variation " << i;
      EXPECT_EQ(from_kept.existing, from_whole.existing) << "variation " << i;
      EXPECT_EQ(from_kept.existing_uid, from_whole.existing_uid) << "variation " << i;
    }
  }
}

TEST(ReconciledFieldsTest, TheSliceAndEndpointsWritesAreTheSameAsFromTheWholeObjects) {
  const PodInfo moved = winner("10.0.0.2");
  ReconcileOptions options;
  options.legacy_endpoints = true;
  for (std::size_t i = 0; i < variations().size(); ++i) {
    json slice = served_slice(winner());
    json endpoints = served_endpoints(winner());
    variations()[i](slice);
    variations()[i](endpoints);
    const ObjectList whole_slices{std::make_shared<const json>(slice)};
    const ObjectList kept_slices{std::make_shared<const json>(reconciled_fields(slice))};
    const json kept_endpoints = reconciled_fields(endpoints);
    for (const PodInfo* pod : {&moved, static_cast<const PodInfo*>(nullptr)}) {
      for (bool unlabelled_are_legacy : {true, false}) {
        EXPECT_EQ(plan_dependents(pod, kService, kept_slices, &kept_endpoints,
                                  unlabelled_are_legacy, options),
                  plan_dependents(pod, kService, whole_slices, &endpoints, unlabelled_are_legacy,
                                  options))
            << "variation " << i;
      }
    }
  }
}

}  // namespace
}  // namespace hso::reconciler::plan
