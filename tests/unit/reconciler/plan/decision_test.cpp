#include "hso/reconciler/plan/decision.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "hso/reconciler/plan/object_diff.hpp"
#include "support/pod_builder.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Action = ServicePlan::Action;

const auto kEpoch = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1);

std::shared_ptr<const PodInfo> pod(std::string name, std::chrono::seconds age_offset = 0s,
                                   std::string uid = "") {
  std::string pod_uid = uid.empty() ? "uid-" + name : std::move(uid);
  return test::PodBuilder(std::move(name))
      .uid(std::move(pod_uid))
      .created(kEpoch + age_offset)
      .asking()
      .running({"10.0.0.1"}, "node-a")
      .ready()
      .shared();
}

std::shared_ptr<const PodInfo> modified(const std::shared_ptr<const PodInfo>& base,
                                        const std::function<void(PodInfo&)>& change) {
  PodInfo copy = *base;
  change(copy);
  return std::make_shared<const PodInfo>(std::move(copy));
}

// A Service as the API server returns what the operator created: server-side defaults added.
json served_service(const PodInfo& owner, const std::string& name, const std::string& uid = "svc") {
  json service = desired_service(owner, name, ReconcileOptions{});
  service["metadata"]["uid"] = uid;
  service["metadata"]["resourceVersion"] = "100";
  service["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z";
  service["metadata"]["managedFields"] = json::array({{{"manager", "hso"}}});
  service["spec"]["clusterIPs"] = json::array({"None"});
  service["spec"]["sessionAffinity"] = "None";
  service["spec"]["ipFamilies"] = json::array({"IPv4"});
  service["spec"]["ipFamilyPolicy"] = "RequireDualStack";
  service["spec"]["internalTrafficPolicy"] = "Cluster";
  service["status"] = {{"loadBalancer", json::object()}};
  return service;
}

json served_slice(json slice, const std::string& uid) {
  slice["metadata"]["uid"] = uid;
  slice["metadata"]["resourceVersion"] = "200";
  slice["metadata"]["generation"] = 1;
  slice["ports"] = nullptr;  // an empty list comes back as null
  return slice;
}

ObjectList as_list(std::vector<json> objects) {
  ObjectList list;
  for (auto& object : objects)
    list.push_back(std::make_shared<const json>(std::move(object)));
  return list;
}

// --- winner selection ---------------------------------------------------------------------

TEST(ReconcilerWinnerTest, NoAnnotatedPodMeansNoWinner) {
  auto plain = modified(pod("web-0"), [](PodInfo& p) { p.wants_service = false; });
  const Candidates candidates = choose_winner("web-0", {plain}, ReconcileOptions{});
  EXPECT_EQ(candidates.winner, nullptr);
  EXPECT_TRUE(candidates.skipped.empty());
}

TEST(ReconcilerWinnerTest, TheOldestWinsAndTheOthersAreCollisions) {
  auto old_pod = pod("b", 0s), young = pod("a", 10s), youngest = pod("c", 20s);
  const Candidates candidates = choose_winner("db", {young, youngest, old_pod}, ReconcileOptions{});
  EXPECT_EQ(candidates.winner, old_pod);
  ASSERT_EQ(candidates.skipped.size(), 2u);
  EXPECT_EQ(candidates.skipped[0].pod, young);
  EXPECT_EQ(candidates.skipped[1].pod, youngest);
  for (const PodSkip& skip : candidates.skipped) {
    EXPECT_EQ(skip.reason, metrics::SkipReason::kCollision);
    EXPECT_EQ(skip.event_reason, kReasonHostnameCollision);
    EXPECT_NE(skip.message.find("pod b"), std::string::npos) << skip.message;
  }
}

TEST(ReconcilerWinnerTest, TiesBreakByNameThenUid) {
  auto a = pod("a", 0s, "uid-9"), b = pod("b", 0s, "uid-1");
  EXPECT_EQ(choose_winner("db", {b, a}, ReconcileOptions{}).winner, a);
  auto x1 = pod("x", 0s, "uid-1"), x2 = pod("x", 0s, "uid-2");
  EXPECT_EQ(choose_winner("db", {x2, x1}, ReconcileOptions{}).winner, x1);
}

TEST(ReconcilerWinnerTest, TheChoiceDoesNotDependOnOrder) {
  auto a = pod("a", 5s), b = pod("b", 0s), c = pod("c", 0s);
  for (const PodList& order : {PodList{a, b, c}, PodList{c, b, a}, PodList{b, a, c}}) {
    EXPECT_EQ(choose_winner("db", order, ReconcileOptions{}).winner, b);
  }
}

TEST(ReconcilerWinnerTest, WhenTheWinnerGoesTheNextTakesOver) {
  auto first = pod("first", 0s), second = pod("second", 5s);
  EXPECT_EQ(choose_winner("db", {first, second}, ReconcileOptions{}).winner, first);
  EXPECT_EQ(choose_winner("db", {second}, ReconcileOptions{}).winner, second);
}

TEST(ReconcilerWinnerTest, UnannotatedPodsDoNotCompete) {
  auto old_plain = modified(pod("old", 0s), [](PodInfo& p) { p.wants_service = false; });
  auto young = pod("young", 10s);
  const Candidates candidates = choose_winner("db", {old_plain, young}, ReconcileOptions{});
  EXPECT_EQ(candidates.winner, young);
  EXPECT_TRUE(candidates.skipped.empty());
}

TEST(ReconcilerWinnerTest, AnAnnotationThatCannotBeReadIsReportedAndDoesNotCompete) {
  auto misread = modified(pod("old", 0s), [](PodInfo& p) {
    p.wants_service = false;
    p.unread_annotation = "True";
  });
  auto young = pod("young", 10s);
  const Candidates candidates = choose_winner("db", {misread, young}, ReconcileOptions{});
  EXPECT_EQ(candidates.winner, young);
  ASSERT_EQ(candidates.skipped.size(), 1u);
  EXPECT_EQ(candidates.skipped[0].pod, misread);
  EXPECT_EQ(candidates.skipped[0].reason, metrics::SkipReason::kAnnotationValue);
  EXPECT_EQ(candidates.skipped[0].event_reason, kReasonAnnotationNotUnderstood);
  EXPECT_NE(candidates.skipped[0].message.find("\"True\""), std::string::npos);
  EXPECT_NE(candidates.skipped[0].message.find("exactly \"true\""), std::string::npos);
  // Alone it is still reported, and nothing wins; with an invalid name too, the value is the news.
  const Candidates alone = choose_winner("a.b", {misread}, ReconcileOptions{});
  EXPECT_EQ(alone.winner, nullptr);
  ASSERT_EQ(alone.skipped.size(), 1u);
  EXPECT_EQ(alone.skipped[0].reason, metrics::SkipReason::kAnnotationValue);
}

TEST(ReconcilerWinnerTest, TerminatingOrFinishedPodsYieldToActiveOnes) {
  auto old_pod = pod("old", 0s), young = pod("young", 10s);
  auto old_terminating = modified(old_pod, [](PodInfo& p) { p.terminating = true; });
  EXPECT_EQ(choose_winner("db", {old_terminating, young}, ReconcileOptions{}).winner, young);
  auto old_failed = modified(old_pod, [](PodInfo& p) { p.phase = PodPhase::kFailed; });
  EXPECT_EQ(choose_winner("db", {old_failed, young}, ReconcileOptions{}).winner, young);
  // Alone, a terminating pod still holds its name.
  EXPECT_EQ(choose_winner("db", {old_terminating}, ReconcileOptions{}).winner, old_terminating);
}

TEST(ReconcilerWinnerTest, InvalidServiceNamesSkipEveryPod) {
  for (const char* name : {"1abc", "a.b", "-a", "UPPER"}) {
    auto p = pod(name);
    const Candidates candidates = choose_winner(name, {p}, ReconcileOptions{});
    EXPECT_EQ(candidates.winner, nullptr) << name;
    ASSERT_EQ(candidates.skipped.size(), 1u) << name;
    EXPECT_EQ(candidates.skipped[0].reason, metrics::SkipReason::kInvalidName);
    EXPECT_EQ(candidates.skipped[0].event_reason, kReasonInvalidHostname);
  }
}

TEST(ReconcilerWinnerTest, RelaxedNamesAllowALeadingDigitButNeverADot) {
  ReconcileOptions relaxed;
  relaxed.relaxed_service_names = true;
  EXPECT_NE(choose_winner("1abc", {pod("1abc")}, relaxed).winner, nullptr);
  EXPECT_EQ(choose_winner("a.b", {pod("a.b")}, relaxed).winner, nullptr);
  EXPECT_TRUE(is_valid_service_name(std::string(63, 'a'), ReconcileOptions{}));
  EXPECT_FALSE(is_valid_service_name(std::string(64, 'a'), ReconcileOptions{}));
}

// --- the Service ---------------------------------------------------------------------------

TEST(ReconcilerServicePlanTest, CreatesTheServiceWhenAbsent) {
  auto p = pod("web-0");
  const ServicePlan plan = plan_service("ns", "web-0", {p}, nullptr, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kCreate);
  EXPECT_EQ(plan.body, desired_service(*p, "web-0", ReconcileOptions{}));
  EXPECT_EQ(plan.candidates.winner, p);
}

TEST(ReconcilerServicePlanTest, NoNewServiceForATerminatingPod) {
  auto p = modified(pod("web-0"), [](PodInfo& info) { info.terminating = true; });
  const ServicePlan plan = plan_service("ns", "web-0", {p}, nullptr, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kNothing);
  EXPECT_EQ(plan.candidates.winner, nullptr);
  EXPECT_TRUE(plan.candidates.skipped.empty());
  // An existing Service stays while its pod terminates.
  const json existing = served_service(*p, "web-0");
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).candidates.winner, p);
}

TEST(ReconcilerServicePlanTest, NothingToDoWithoutPodsOrService) {
  EXPECT_EQ(plan_service("ns", "web-0", {}, nullptr, ReconcileOptions{}).action, Action::kNothing);
}

TEST(ReconcilerServicePlanTest, ServerDefaultsCauseNoWrite) {
  auto p = pod("web-0");
  const json existing = served_service(*p, "web-0");
  const ServicePlan plan = plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kNothing);
  EXPECT_EQ(plan.existing, ExistingService::kOwned);
  EXPECT_EQ(plan.existing_uid, "svc");
}

TEST(ReconcilerServicePlanTest, ForeignLabelsAndAnnotationsCauseNoWrite) {
  auto p = pod("web-0");
  json existing = served_service(*p, "web-0");
  existing["metadata"]["labels"]["team"] = "blue";
  existing["metadata"]["annotations"] = {{"note", "hi"}};
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).action,
            Action::kNothing);
}

TEST(ReconcilerServicePlanTest, OwnerReferenceMovesToARecreatedPod) {
  auto old_pod = pod("web-0", 0s, "old-uid");
  auto new_pod = pod("web-0", 60s, "new-uid");
  const json existing = served_service(*old_pod, "web-0");
  const ServicePlan plan = plan_service("ns", "web-0", {new_pod}, &existing, ReconcileOptions{});
  ASSERT_EQ(plan.action, Action::kPatch);
  EXPECT_EQ(plan.body, json::parse(R"({"metadata": {
    "resourceVersion": "100",
    "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "web-0", "uid": "new-uid",
                         "controller": true}]}})"));
}

TEST(ReconcilerServicePlanTest, OwnerReferencesOfOtherKindsAreKept) {
  auto p = pod("web-0");
  json existing = served_service(*pod("web-0", 0s, "old-uid"), "web-0");
  const json other = {
      {"apiVersion", "example.com/v1"}, {"kind", "Thing"}, {"name", "t"}, {"uid", "t-uid"}};
  existing["metadata"]["ownerReferences"].insert(existing["metadata"]["ownerReferences"].begin(),
                                                 other);
  const ServicePlan plan = plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{});
  ASSERT_EQ(plan.action, Action::kPatch);
  const json owners = plan.body["metadata"]["ownerReferences"];
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners[0], other);
  EXPECT_EQ(owners[1]["uid"], p->uid);
}

TEST(ReconcilerServicePlanTest, DriftInManagedFieldsIsRepaired) {
  auto p = pod("web-0");
  json existing = served_service(*p, "web-0");
  existing["spec"]["selector"] = {{"app", "x"}};
  existing["spec"]["ports"] = json::array({{{"port", 80}}});
  existing["metadata"]["labels"]["app.kubernetes.io/managed-by"] =
      "k8s-pod-headless-service-operator";
  const ServicePlan plan = plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{});
  ASSERT_EQ(plan.action, Action::kPatch);
  EXPECT_EQ(plan.body["spec"], json::parse(R"({"selector": null, "ports": null})"));
}

TEST(ReconcilerServicePlanTest, AnOwnedServiceThatIsNoLongerHeadlessIsRecreated) {
  auto p = pod("web-0");
  json existing = served_service(*p, "web-0");
  existing["spec"]["clusterIP"] = "10.96.0.10";
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).action,
            Action::kRecreate);
}

TEST(ReconcilerServicePlanTest, DeletedWhenNoPodWantsItAnyMore) {
  auto p = pod("web-0");
  const json existing = served_service(*p, "web-0", "svc-uid");
  auto unannotated = modified(p, [](PodInfo& info) { info.wants_service = false; });
  for (const PodList& pods : {PodList{}, PodList{unannotated}}) {
    const ServicePlan plan = plan_service("ns", "web-0", pods, &existing, ReconcileOptions{});
    EXPECT_EQ(plan.action, Action::kDelete);
    EXPECT_EQ(plan.existing_uid, "svc-uid");
  }
}

TEST(ReconcilerServicePlanTest, AServiceBeingDeletedIsWaitedFor) {
  auto p = pod("web-0");
  json existing = served_service(*p, "web-0");
  existing["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).action,
            Action::kWaitForDeletion);
  EXPECT_EQ(plan_service("ns", "web-0", {}, &existing, ReconcileOptions{}).action,
            Action::kNothing);
}

json foreign_service() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web-0", "namespace": "ns", "uid": "theirs", "resourceVersion": "5",
                 "labels": {"app": "web"}},
    "spec": {"clusterIP": "10.96.0.5", "selector": {"app": "web"},
             "ports": [{"port": 80}], "type": "ClusterIP"}
  })");
}

TEST(ReconcilerServicePlanTest, AForeignServiceIsLeftAloneAndReported) {
  auto p = pod("web-0");
  const json existing = foreign_service();
  const ServicePlan plan = plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kLeaveForeign);
  EXPECT_EQ(plan.existing, ExistingService::kForeign);
  EXPECT_EQ(plan.candidates.winner, nullptr);
  ASSERT_EQ(plan.candidates.skipped.size(), 1u);
  EXPECT_EQ(plan.candidates.skipped[0].reason, metrics::SkipReason::kForeignService);
  EXPECT_EQ(plan.candidates.skipped[0].event_reason, kReasonServiceConflict);
  EXPECT_EQ(plan.candidates.skipped[0].pod, p);
}

TEST(ReconcilerServicePlanTest, AForeignServiceIsNeverDeleted) {
  const json existing = foreign_service();
  EXPECT_EQ(plan_service("ns", "web-0", {}, &existing, ReconcileOptions{}).action,
            Action::kNothing);
}

TEST(ReconcilerServicePlanTest, AForeignHeadlessServiceWithASelectorIsNotAdopted) {
  auto p = pod("web-0");
  json existing = foreign_service();
  existing["spec"]["clusterIP"] = "None";
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).existing,
            ExistingService::kForeign);
}

json legacy_service(const PodInfo& owner) {
  json service = json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web-0", "namespace": "ns", "uid": "legacy-uid", "resourceVersion": "7",
                 "annotations": {"srcd.host/create-headless-service": "true"}},
    "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP",
             "sessionAffinity": "None"}
  })");
  (void)owner;
  return service;
}

TEST(ReconcilerServicePlanTest, TheOriginalOperatorsServiceIsAdopted) {
  auto p = pod("web-0");
  const json existing = legacy_service(*p);
  const ServicePlan plan = plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{});
  EXPECT_EQ(plan.existing, ExistingService::kAdoptable);
  ASSERT_EQ(plan.action, Action::kPatch);
  EXPECT_EQ(plan.existing_uid, "legacy-uid");
  EXPECT_EQ(plan.candidates.winner, p);
  EXPECT_EQ(plan.body, json::parse(R"({"metadata": {
    "resourceVersion": "7",
    "labels": {"app.kubernetes.io/managed-by": "k8s-pod-headless-service-operator"},
    "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "web-0", "uid": "uid-web-0",
                         "controller": true}]}})"));
  // Once patched, it is the operator's own and matches.
  json adopted = existing;
  adopted.merge_patch(plan.body);
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &adopted, ReconcileOptions{}).action,
            Action::kNothing);
}

TEST(ReconcilerServicePlanTest, AdoptionCanBeTurnedOff) {
  auto p = pod("web-0");
  const json existing = legacy_service(*p);
  ReconcileOptions options;
  options.adopt_legacy = false;
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, options).action, Action::kLeaveForeign);
}

TEST(ReconcilerServicePlanTest, OnlyServicesNamedAfterThePodItselfAreAdopted) {
  // The original named Services after the pod; a pod with spec.hostname "web-0" and another name
  // did not make this one.
  auto p = modified(pod("other"), [](PodInfo& info) { info.spec_hostname = "web-0"; });
  const json existing = legacy_service(*p);
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).existing,
            ExistingService::kForeign);
}

TEST(ReconcilerServicePlanTest, AServiceControlledBySomethingElseIsNotAdopted) {
  auto p = pod("web-0");
  json existing = legacy_service(*p);
  existing["metadata"]["ownerReferences"] = json::array({{{"apiVersion", "apps/v1"},
                                                          {"kind", "StatefulSet"},
                                                          {"name", "web"},
                                                          {"uid", "s"},
                                                          {"controller", true}}});
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).existing,
            ExistingService::kForeign);
}

TEST(ReconcilerServicePlanTest, ALegacyServiceWithoutAnAnnotatedPodIsLeftAlone) {
  auto p = modified(pod("web-0"), [](PodInfo& info) { info.wants_service = false; });
  const json existing = legacy_service(*p);
  EXPECT_EQ(plan_service("ns", "web-0", {p}, &existing, ReconcileOptions{}).action,
            Action::kNothing);
}

// --- EndpointSlices and Endpoints ------------------------------------------------------------

const ServiceRef kService{"ns", "web-0", "svc-uid"};

std::vector<json> served_slices_for(const PodInfo& p, const ReconcileOptions& options = {}) {
  std::vector<json> served;
  int n = 0;
  for (const json& slice : desired_endpoint_slices(p, kService, options)) {
    served.push_back(served_slice(slice, "slice-uid-" + std::to_string(n++)));
  }
  return served;
}

TEST(ReconcilerDependentsTest, CreatesTheSlicesWhenAbsent) {
  auto p = modified(pod("web-0"), [](PodInfo& info) { info.pod_ips = {"10.0.0.1", "fd00::1"}; });
  const auto writes = plan_dependents(p.get(), kService, {}, nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 2u);
  const auto desired = desired_endpoint_slices(*p, kService, ReconcileOptions{});
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(writes[i].kind, metrics::ObjectKind::kEndpointSlice);
    EXPECT_EQ(writes[i].action, metrics::WriteAction::kCreate);
    EXPECT_EQ(writes[i].body, desired[i]);
  }
}

TEST(ReconcilerDependentsTest, ServerDefaultsCauseNoWrite) {
  auto p = modified(pod("web-0"), [](PodInfo& info) { info.pod_ips = {"10.0.0.1", "fd00::1"}; });
  std::vector<json> served = served_slices_for(*p);
  // Fields the server or other tools may add.
  served[0]["endpoints"][0]["zone"] = "zone-a";
  served[0]["metadata"]["labels"]["extra"] = "x";
  served[1]["ports"] = json::array();
  EXPECT_TRUE(plan_dependents(p.get(), kService, as_list(served), nullptr, true, ReconcileOptions{})
                  .empty());
}

// Found by fuzzing (tests/fuzz/corpus/endpoint_slice/regression_owned_slice_without_name.json):
// an owned slice without a name got an update or delete with an empty name, whose path would be
// the collection's.
TEST(ReconcilerDependentsTest, ASliceWithoutANameIsNeverWritten) {
  auto p = pod("web-0");
  auto served = served_slices_for(*p);
  served[0]["metadata"].erase("name");
  served[0]["endpoints"][0]["addresses"] = json::array({"10.0.0.99"});
  for (const PodInfo* winner : {p.get(), static_cast<const PodInfo*>(nullptr)}) {
    for (const auto& write :
         plan_dependents(winner, kService, as_list(served), nullptr, true, ReconcileOptions{})) {
      EXPECT_FALSE(write.name.empty());
    }
  }
}

TEST(ReconcilerDependentsTest, TheSliceFollowsAnIpChange) {
  auto p = pod("web-0");
  const auto served = served_slices_for(*p);
  auto moved = modified(p, [](PodInfo& info) { info.pod_ips = {"10.0.0.99"}; });
  const auto writes =
      plan_dependents(moved.get(), kService, as_list(served), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kUpdate);
  EXPECT_EQ(writes[0].name, "web-0-ipv4");
  EXPECT_EQ(writes[0].body["endpoints"][0]["addresses"], json::array({"10.0.0.99"}));
  EXPECT_EQ(writes[0].body["metadata"], json::parse(R"({"resourceVersion": "200"})"));
}

TEST(ReconcilerDependentsTest, ReadinessChangesAreWrittenWhenNotPublishingNotReady) {
  ReconcileOptions options;
  options.publish_not_ready = false;
  auto p = pod("web-0");
  const auto served = served_slices_for(*p, options);
  auto not_ready = modified(p, [](PodInfo& info) { info.ready = false; });
  const auto writes =
      plan_dependents(not_ready.get(), kService, as_list(served), nullptr, true, options);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].body["endpoints"][0]["conditions"]["ready"], false);
}

TEST(ReconcilerDependentsTest, EditsToTheOperatorsSliceArePutBack) {
  auto p = pod("web-0");
  auto served = served_slices_for(*p);
  served[0]["endpoints"][0]["addresses"] = json::array({"6.6.6.6"});
  served[0]["metadata"]["labels"].erase("service.kubernetes.io/headless");
  served[0]["ports"] = json::array({{{"port", 1}}});
  const auto writes =
      plan_dependents(p.get(), kService, as_list(served), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].body["endpoints"], desired_endpoint_slices(*p, kService, {})[0]["endpoints"]);
  EXPECT_EQ(writes[0].body["metadata"]["labels"],
            json::parse(R"({"service.kubernetes.io/headless": ""})"));
  EXPECT_EQ(writes[0].body["ports"], json::array());
}

TEST(ReconcilerDependentsTest, SlicesOwnedByAnOldServiceAreReattached) {
  auto p = pod("web-0");
  const auto served = served_slices_for(*p);
  const ServiceRef recreated{"ns", "web-0", "new-svc-uid"};
  const auto writes =
      plan_dependents(p.get(), recreated, as_list(served), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].body["metadata"]["ownerReferences"][0]["uid"], "new-svc-uid");
}

TEST(ReconcilerDependentsTest, TheAddressIsWithdrawnWhenThePodFinishes) {
  auto p = pod("web-0");
  const auto served = served_slices_for(*p);
  auto finished = modified(p, [](PodInfo& info) { info.phase = PodPhase::kSucceeded; });
  const auto writes =
      plan_dependents(finished.get(), kService, as_list(served), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kDelete);
  EXPECT_EQ(writes[0].name, "web-0-ipv4");
  EXPECT_EQ(writes[0].uid, "slice-uid-0");
}

TEST(ReconcilerDependentsTest, AFamilyThatGoesAwayLosesItsSlice) {
  auto dual = modified(pod("web-0"), [](PodInfo& info) { info.pod_ips = {"10.0.0.1", "fd00::1"}; });
  const auto served = served_slices_for(*dual);
  auto single = modified(dual, [](PodInfo& info) { info.pod_ips = {"fd00::1"}; });
  const auto writes =
      plan_dependents(single.get(), kService, as_list(served), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kDelete);
  EXPECT_EQ(writes[0].name, "web-0-ipv4");
}

TEST(ReconcilerDependentsTest, DuplicatesAreDeletedFirst) {
  auto p = pod("web-0");
  auto served = served_slices_for(*p);
  json duplicate = served[0];
  duplicate["metadata"]["name"] = "web-0-zzz";
  duplicate["metadata"]["uid"] = "dup";
  served[0]["endpoints"][0]["addresses"] = json::array({"1.1.1.1"});
  served.push_back(duplicate);
  const auto writes =
      plan_dependents(p.get(), kService, as_list(served), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kDelete);
  EXPECT_EQ(writes[0].uid, "dup");
  EXPECT_EQ(writes[1].action, metrics::WriteAction::kUpdate);
  EXPECT_EQ(writes[1].name, "web-0-ipv4");
}

TEST(ReconcilerDependentsTest, SlicesOfOtherManagersAreNeverTouched) {
  auto p = pod("web-0");
  json theirs = served_slices_for(*p)[0];
  theirs["metadata"]["name"] = "web-0-abcde";
  theirs["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] =
      "endpointslicemirroring-controller.k8s.io";
  EXPECT_TRUE(
      plan_dependents(nullptr, kService, as_list({theirs}), nullptr, true, ReconcileOptions{})
          .empty());
  const auto writes =
      plan_dependents(p.get(), kService, as_list({theirs}), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kCreate);
}

TEST(ReconcilerDependentsTest, WithoutAWinnerTheOperatorsObjectsGo) {
  auto p = pod("web-0");
  ReconcileOptions legacy;
  legacy.legacy_endpoints = true;
  json endpoints = desired_endpoints(*p, kService, legacy);
  endpoints["metadata"]["uid"] = "ep-uid";
  const auto writes =
      plan_dependents(nullptr, kService, as_list(served_slices_for(*p)), &endpoints, false, legacy);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].kind, metrics::ObjectKind::kEndpointSlice);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kDelete);
  EXPECT_EQ(writes[1].kind, metrics::ObjectKind::kEndpoints);
  EXPECT_EQ(writes[1].action, metrics::WriteAction::kDelete);
  EXPECT_EQ(writes[1].uid, "ep-uid");
}

TEST(ReconcilerDependentsTest, LegacyEndpointsAreWrittenWhenAskedFor) {
  ReconcileOptions legacy;
  legacy.legacy_endpoints = true;
  auto p = pod("web-0");
  const auto served = served_slices_for(*p);
  const auto writes = plan_dependents(p.get(), kService, as_list(served), nullptr, true, legacy);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].kind, metrics::ObjectKind::kEndpoints);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kCreate);
  EXPECT_EQ(writes[0].body, desired_endpoints(*p, kService, legacy));
}

TEST(ReconcilerDependentsTest, LegacyEndpointsRegroupedByTheServerCauseNoWrite) {
  ReconcileOptions legacy;
  legacy.legacy_endpoints = true;
  auto p = modified(pod("web-0"), [](PodInfo& info) { info.pod_ips = {"10.0.0.1", "fd00::1"}; });
  json endpoints = desired_endpoints(*p, kService, legacy);
  endpoints["metadata"]["uid"] = "ep";
  endpoints["metadata"]["resourceVersion"] = "9";
  json& addresses = endpoints["subsets"][0]["addresses"];
  endpoints["subsets"] = json::array(
      {{{"addresses", json::array({addresses[1]})}}, {{"addresses", json::array({addresses[0]})}}});
  EXPECT_TRUE(
      plan_dependents(p.get(), kService, as_list(served_slices_for(*p)), &endpoints, true, legacy)
          .empty());
}

TEST(ReconcilerDependentsTest, LegacyEndpointsFollowTheAddress) {
  ReconcileOptions legacy;
  legacy.legacy_endpoints = true;
  auto p = pod("web-0");
  json endpoints = desired_endpoints(*p, kService, legacy);
  endpoints["metadata"]["resourceVersion"] = "9";
  auto moved = modified(p, [](PodInfo& info) { info.pod_ips = {"10.0.0.2"}; });
  const auto writes = plan_dependents(moved.get(), kService, as_list(served_slices_for(*moved)),
                                      &endpoints, true, legacy);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kUpdate);
  EXPECT_EQ(writes[0].body["subsets"][0]["addresses"][0]["ip"], "10.0.0.2");
}

json unlabelled_endpoints() {
  return json::parse(R"({"apiVersion": "v1", "kind": "Endpoints",
    "metadata": {"name": "web-0", "namespace": "ns", "uid": "old-ep", "resourceVersion": "3"},
    "subsets": [{"addresses": [{"ip": "10.0.0.1"}]}]})");
}

TEST(ReconcilerDependentsTest, TheOriginalOperatorsEndpointsAreDeletedOnAdoption) {
  auto p = pod("web-0");
  const json endpoints = unlabelled_endpoints();
  const auto writes = plan_dependents(p.get(), kService, as_list(served_slices_for(*p)), &endpoints,
                                      true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].kind, metrics::ObjectKind::kEndpoints);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kDelete);
  EXPECT_EQ(writes[0].uid, "old-ep");
}

TEST(ReconcilerDependentsTest, TheOriginalOperatorsEndpointsAreTakenOverWithLegacyEndpoints) {
  ReconcileOptions legacy;
  legacy.legacy_endpoints = true;
  auto p = pod("web-0");
  const json endpoints = unlabelled_endpoints();
  const auto writes =
      plan_dependents(p.get(), kService, as_list(served_slices_for(*p)), &endpoints, true, legacy);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kUpdate);
  EXPECT_EQ(writes[0].body["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"],
            "true");
  EXPECT_EQ(writes[0].body["metadata"]["resourceVersion"], "3");
}

TEST(ReconcilerDependentsTest, UnlabelledEndpointsAreLeftAloneUnlessTheyAreLegacy) {
  auto p = pod("web-0");
  const json endpoints = unlabelled_endpoints();
  EXPECT_TRUE(plan_dependents(p.get(), kService, as_list(served_slices_for(*p)), &endpoints, false,
                              ReconcileOptions{})
                  .empty());
  EXPECT_TRUE(
      plan_dependents(nullptr, kService, {}, &endpoints, false, ReconcileOptions{}).empty());
}

TEST(ReconcilerDependentsTest, TurningLegacyEndpointsOffDeletesTheOperatorsOwn) {
  ReconcileOptions legacy;
  legacy.legacy_endpoints = true;
  auto p = pod("web-0");
  json endpoints = desired_endpoints(*p, kService, legacy);
  endpoints["metadata"]["uid"] = "ep";
  const auto writes = plan_dependents(p.get(), kService, as_list(served_slices_for(*p)), &endpoints,
                                      false, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].action, metrics::WriteAction::kDelete);
}

// --- ownership ----------------------------------------------------------------------------

TEST(ReconcilerOwnershipTest, IsDecidedByTheLabels) {
  auto p = pod("web-0");
  EXPECT_TRUE(is_owned_service(desired_service(*p, "web-0", {})));
  EXPECT_FALSE(is_owned_service(foreign_service()));
  json helm = foreign_service();
  helm["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "Helm";
  EXPECT_FALSE(is_owned_service(helm));
  EXPECT_TRUE(is_owned_endpoint_slice(desired_endpoint_slices(*p, kService, {})[0]));
  EXPECT_FALSE(is_owned_endpoint_slice(desired_service(*p, "web-0", {})));
  EXPECT_TRUE(is_owned_endpoints(desired_endpoints(*p, kService, {})));
  EXPECT_FALSE(is_owned_endpoints(unlabelled_endpoints()));
  EXPECT_FALSE(is_owned_service(json()));
  EXPECT_FALSE(is_owned_service(json::array()));
}

}  // namespace
}  // namespace hso::reconciler::plan
