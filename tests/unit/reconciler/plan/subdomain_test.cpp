#include "hso/reconciler/plan/subdomain.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "hso/reconciler/plan/keys.hpp"
#include "hso/reconciler/plan/object_diff.hpp"
#include "hso/reconciler/plan/ownership.hpp"
#include "hso/reconciler/plan/trigger_time.hpp"
#include "hso/util/json_access.hpp"
#include "support/pod_builder.hpp"

namespace hso::reconciler::plan {
namespace {

using metrics::ObjectKind;
using metrics::WriteAction;
using nlohmann::json;
using namespace std::chrono_literals;
using Action = ServicePlan::Action;

const auto kEpoch = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1);
const ServiceRef kService{"ns", "s", "svc-uid"};

// A member of subdomain "s": pod `name`, hostname `name`, one IPv4 address.
std::shared_ptr<const PodInfo> member(const std::string& name, const std::string& ip = "10.0.0.1",
                                      std::chrono::seconds age_offset = 0s) {
  return test::PodBuilder(name)
      .uid("uid-" + name)
      .created(kEpoch + age_offset)
      .subdomain("s")
      .asking()
      .running({ip}, "node-a")
      .ready()
      .shared();
}

std::shared_ptr<const PodInfo> modified(const std::shared_ptr<const PodInfo>& base,
                                        const std::function<void(PodInfo&)>& change) {
  PodInfo copy = *base;
  change(copy);
  return std::make_shared<const PodInfo>(std::move(copy));
}

PodList members(std::size_t count) {
  PodList list;
  for (std::size_t i = 0; i < count; ++i) {
    // Zero-padded, so that the precedence order (by name) is the index order.
    std::string number = std::to_string(i);
    number.insert(0, 3 - std::min<std::size_t>(number.size(), 3), '0');
    list.push_back(member("m" + number,
                          "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)));
  }
  return list;
}

// The API server, as far as slices go: applies the planned writes, adds uids and versions.
class FakeSlices {
 public:
  void apply(const std::vector<ObjectWrite>& writes) {
    for (const ObjectWrite& write : writes) {
      ASSERT_EQ(write.kind, ObjectKind::kEndpointSlice);
      switch (write.action) {
        case WriteAction::kCreate:
          ASSERT_FALSE(objects_.contains(write.name)) << write.name;
          objects_[write.name] = write.body;
          objects_[write.name]["metadata"]["uid"] = "uid-" + write.name;
          break;
        case WriteAction::kUpdate:
          ASSERT_TRUE(objects_.contains(write.name)) << write.name;
          objects_[write.name].merge_patch(write.body);
          break;
        case WriteAction::kDelete:
          ASSERT_EQ(objects_.erase(write.name), 1U) << write.name;
          continue;
      }
      objects_[write.name]["metadata"]["resourceVersion"] = std::to_string(++version_);
    }
  }
  ObjectList list() const {
    ObjectList list;
    for (const auto& [name, object] : objects_)
      list.push_back(std::make_shared<const json>(object));
    return list;
  }
  const json& at(const std::string& name) const { return objects_.at(name); }
  std::size_t size() const { return objects_.size(); }
  // Pod names in each slice, by slice name.
  std::map<std::string, std::vector<std::string>> layout() const {
    std::map<std::string, std::vector<std::string>> names;
    for (const auto& [name, object] : objects_) {
      for (const json& endpoint : object["endpoints"])
        names[name].push_back(endpoint["targetRef"]["name"]);
    }
    return names;
  }

 private:
  std::map<std::string, json> objects_;
  int version_ = 0;
};

std::vector<ObjectWrite> plan(const PodList& pods, const FakeSlices& slices,
                              std::size_t max_endpoints = kMaxEndpointsPerSlice,
                              const ReconcileOptions& options = ReconcileOptions{}) {
  return plan_subdomain_slices(pods, kService, slices.list(), nullptr, options, max_endpoints);
}

std::size_t count(const std::vector<ObjectWrite>& writes, WriteAction action) {
  return static_cast<std::size_t>(std::count_if(
      writes.begin(), writes.end(), [&](const ObjectWrite& w) { return w.action == action; }));
}

// --- who is a member, the keys ----------------------------------------------------------------

TEST(SubdomainMembershipTest, OnlyAValidSubdomainWithTheOptionOnCounts) {
  const PodInfo pod = *member("web-0");
  EXPECT_EQ(effective_subdomain(pod, ReconcileOptions{}), "s");
  EXPECT_EQ(pod_fqdn(pod, ReconcileOptions{}), "web-0.s.ns.svc.cluster.local");
  ReconcileOptions off;
  off.subdomain_records = false;
  EXPECT_EQ(effective_subdomain(pod, off), "");
  EXPECT_EQ(pod_fqdn(pod, off), "");
  ReconcileOptions zone;
  zone.cluster_domain = "corp.example";
  EXPECT_EQ(pod_fqdn(pod, zone), "web-0.s.ns.svc.corp.example");
  const PodInfo digit = *modified(member("web-0"), [](PodInfo& p) { p.spec_subdomain = "0s"; });
  EXPECT_EQ(effective_subdomain(digit, ReconcileOptions{}), "") << "no Service can be named 0s";
  ReconcileOptions relaxed;
  relaxed.relaxed_service_names = true;
  EXPECT_EQ(effective_subdomain(digit, relaxed), "0s");
}

TEST(SubdomainMembershipTest, APodReachesItsSubdomainsKeyOnlyWithTheOptionOn) {
  const PodInfo pod = *member("web-0");
  EXPECT_EQ(keys_for_pod(pod, true), (std::vector<std::string>{"ns/web-0", "ns/s"}));
  EXPECT_EQ(keys_for_pod(pod, false), (std::vector<std::string>{"ns/web-0"}));
  const PodInfo same = *modified(member("s"), [](PodInfo&) {});
  EXPECT_EQ(keys_for_pod(same, true), (std::vector<std::string>{"ns/s"}));
  const PodInfo plain = test::PodBuilder("web-1").info();
  EXPECT_EQ(keys_for_pod(plain, true), (std::vector<std::string>{"ns/web-1"}));
  EXPECT_FALSE(subdomain_key_for_pod(plain));
}

TEST(SubdomainMembershipTest, TheKeyIsASubdomainsWhileAMemberAsksOrItsServiceRemains) {
  const ReconcileOptions options;
  EXPECT_TRUE(is_subdomain_key("s", {member("a")}, nullptr, options));
  const auto not_asking = modified(member("a"), [](PodInfo& p) { p.wants_service = false; });
  EXPECT_FALSE(is_subdomain_key("s", {not_asking}, nullptr, options));
  const json ours = desired_subdomain_service("ns", "s");
  EXPECT_TRUE(is_subdomain_service(ours));
  EXPECT_TRUE(is_subdomain_key("s", {}, &ours, options)) << "left to be removed";
  json per_pod = desired_service(*member("a"), "s", ReconcileOptions{});
  EXPECT_FALSE(is_subdomain_service(per_pod)) << "owned by its pod";
  ReconcileOptions off;
  off.subdomain_records = false;
  EXPECT_FALSE(is_subdomain_key("s", {member("a")}, &ours, off));
}

// --- the subdomain's Service -------------------------------------------------------------------

json served(json service, const std::string& uid = "svc-uid") {
  service["metadata"]["uid"] = uid;
  service["metadata"]["resourceVersion"] = "7";
  service["spec"]["clusterIPs"] = json::array({"None"});
  service["spec"]["sessionAffinity"] = "None";
  return service;
}

TEST(SubdomainServicePlanTest, CreatesAHeadlessSelectorlessServiceWithoutOwner) {
  const ServicePlan plan = plan_subdomain_service(
      "ns", "s", {member("b", "10.0.0.2", 5s), member("a")}, {}, nullptr, ReconcileOptions{});
  ASSERT_EQ(plan.action, Action::kCreate);
  EXPECT_EQ(plan.body["spec"], json({{"type", "ClusterIP"}, {"clusterIP", "None"}}));
  EXPECT_FALSE(plan.body["metadata"].contains("ownerReferences"));
  EXPECT_TRUE(is_owned_service(plan.body));
  EXPECT_EQ(plan.body["metadata"]["namespace"], "ns");
  ASSERT_NE(plan.candidates.winner, nullptr);
  EXPECT_EQ(plan.candidates.winner->name, "a") << "the oldest member hears of it";
}

TEST(SubdomainServicePlanTest, AServiceThatMatchesCausesNoWrite) {
  const json existing = served(desired_subdomain_service("ns", "s"));
  const ServicePlan plan =
      plan_subdomain_service("ns", "s", {member("a")}, {}, &existing, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kNothing);
  EXPECT_EQ(plan.existing_uid, "svc-uid");
}

TEST(SubdomainServicePlanTest, TheLastMemberGoneDeletesTheService) {
  const json existing = served(desired_subdomain_service("ns", "s"));
  const auto left = modified(member("a"), [](PodInfo& p) { p.wants_service = false; });
  for (const PodList& pods : {PodList{}, PodList{left}}) {
    const ServicePlan plan =
        plan_subdomain_service("ns", "s", pods, {}, &existing, ReconcileOptions{});
    EXPECT_EQ(plan.action, Action::kDelete);
    EXPECT_EQ(plan.existing_uid, "svc-uid");
    EXPECT_EQ(plan.candidates.winner, nullptr);
  }
}

TEST(SubdomainServicePlanTest, NoServiceForMembersThatAreAllLeaving) {
  const auto leaving = modified(member("a"), [](PodInfo& p) { p.terminating = true; });
  const ServicePlan plan =
      plan_subdomain_service("ns", "s", {leaving}, {}, nullptr, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kNothing);
  EXPECT_EQ(plan.candidates.winner, nullptr);
}

TEST(SubdomainServicePlanTest, AForeignServiceIsLeftAloneAndEveryMemberIsTold) {
  json foreign = {{"metadata", {{"name", "s"}, {"namespace", "ns"}, {"uid", "theirs"}}},
                  {"spec", {{"clusterIP", "None"}, {"selector", {{"app", "db"}}}}}};
  const ServicePlan plan = plan_subdomain_service("ns", "s", {member("a"), member("b")}, {},
                                                  &foreign, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kLeaveForeign);
  EXPECT_EQ(plan.candidates.winner, nullptr);
  ASSERT_EQ(plan.candidates.skipped.size(), 2U);
  for (const PodSkip& skip : plan.candidates.skipped) {
    EXPECT_EQ(skip.reason, metrics::SkipReason::kForeignService);
    EXPECT_EQ(skip.event_reason, kReasonServiceConflict);
  }
}

TEST(SubdomainServicePlanTest, APodWhoseHostnameIsTheSubdomainCollides) {
  const auto claimant = test::PodBuilder("x").uid("uid-x").hostname("s").asking().shared();
  const auto quiet = test::PodBuilder("y").uid("uid-y").hostname("s").shared();
  const ServicePlan plan = plan_subdomain_service("ns", "s", {member("a")}, {claimant, quiet},
                                                  nullptr, ReconcileOptions{});
  EXPECT_EQ(plan.action, Action::kCreate);
  ASSERT_EQ(plan.candidates.skipped.size(), 1U);
  EXPECT_EQ(plan.candidates.skipped[0].pod, claimant);
  EXPECT_EQ(plan.candidates.skipped[0].event_reason, kReasonHostnameCollision);
}

TEST(SubdomainServicePlanTest, APerPodServiceOfTheOperatorsIsTakenOver) {
  ReconcileOptions off;
  off.subdomain_records = false;
  const json per_pod = served(desired_service(*member("x"), "s", off));
  const ServicePlan plan =
      plan_subdomain_service("ns", "s", {member("a")}, {}, &per_pod, ReconcileOptions{});
  ASSERT_EQ(plan.action, Action::kPatch);
  EXPECT_EQ(plan.body["metadata"]["ownerReferences"], json::array()) << "no pod owns it any more";
  json alias = served(desired_service(*member("s"), "s", ReconcileOptions{}));
  alias["spec"].erase("clusterIPs");
  alias["spec"].erase("clusterIP");
  EXPECT_EQ(alias["spec"]["type"], "ExternalName");
  EXPECT_EQ(plan_subdomain_service("ns", "s", {member("a")}, {}, &alias, ReconcileOptions{}).action,
            Action::kRecreate);
}

TEST(SubdomainServicePlanTest, AServiceBeingDeletedIsWaitedFor) {
  json existing = served(desired_subdomain_service("ns", "s"));
  existing["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  EXPECT_EQ(
      plan_subdomain_service("ns", "s", {member("a")}, {}, &existing, ReconcileOptions{}).action,
      Action::kWaitForDeletion);
  EXPECT_EQ(plan_subdomain_service("ns", "s", {}, {}, &existing, ReconcileOptions{}).action,
            Action::kNothing);
}

// --- the slices: packing -----------------------------------------------------------------------

TEST(SubdomainSlicesTest, MembersShareOneSliceWithTheirHostnames) {
  FakeSlices slices;
  const auto writes = plan({member("b", "10.0.0.2"), member("a", "10.0.0.1")}, slices);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].action, WriteAction::kCreate);
  EXPECT_EQ(writes[0].name, "s-ipv4-0");
  const json& slice = writes[0].body;
  EXPECT_EQ(slice["addressType"], "IPv4");
  EXPECT_EQ(slice["metadata"]["labels"][std::string(kServiceNameLabel)], "s");
  EXPECT_TRUE(is_owned_endpoint_slice(slice));
  EXPECT_EQ(slice["metadata"]["ownerReferences"][0]["uid"], "svc-uid");
  EXPECT_EQ(slice["metadata"]["ownerReferences"][0]["kind"], "Service");
  ASSERT_EQ(slice["endpoints"].size(), 2U);
  const json& first = slice["endpoints"][0];
  EXPECT_EQ(first["hostname"], "a");
  EXPECT_EQ(first["addresses"], json::array({"10.0.0.1"}));
  EXPECT_EQ(first["targetRef"]["name"], "a");
  EXPECT_EQ(first["targetRef"]["uid"], "uid-a");
  EXPECT_EQ(first["nodeName"], "node-a");
  EXPECT_EQ(first["conditions"],
            json({{"ready", true}, {"serving", true}, {"terminating", false}}));
  EXPECT_EQ(slice["endpoints"][1]["hostname"], "b");
}

TEST(SubdomainSlicesTest, TheHostnameIsSpecHostnameWhenSet) {
  FakeSlices slices;
  const auto pod = modified(member("pod-x"), [](PodInfo& p) { p.spec_hostname = "h"; });
  const auto writes = plan({pod}, slices);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].body["endpoints"][0]["hostname"], "h");
}

TEST(SubdomainSlicesTest, OnlyMembersThatAskAndPublishArePlaced) {
  FakeSlices slices;
  const auto not_asking = modified(member("b"), [](PodInfo& p) { p.wants_service = false; });
  const auto other = modified(member("c"), [](PodInfo& p) { p.spec_subdomain = "t"; });
  const auto no_ip = modified(member("d"), [](PodInfo& p) { p.pod_ips.clear(); });
  const auto done = modified(member("e"), [](PodInfo& p) { p.phase = PodPhase::kSucceeded; });
  const auto writes = plan({member("a"), not_asking, other, no_ip, done}, slices);
  ASSERT_EQ(writes.size(), 1U);
  ASSERT_EQ(writes[0].body["endpoints"].size(), 1U);
  EXPECT_EQ(writes[0].body["endpoints"][0]["targetRef"]["name"], "a");
  EXPECT_TRUE(plan({not_asking, other}, slices).empty());
}

TEST(SubdomainSlicesTest, AtMostTheLimitPerSliceAndAnotherOnlyWhenAllAreFull) {
  FakeSlices slices;
  const PodList pods = members(250);
  const auto writes = plan(pods, slices);
  ASSERT_EQ(count(writes, WriteAction::kCreate), 3U);
  slices.apply(writes);
  const auto layout = slices.layout();
  EXPECT_EQ(layout.at("s-ipv4-0").size(), 100U);
  EXPECT_EQ(layout.at("s-ipv4-1").size(), 100U);
  EXPECT_EQ(layout.at("s-ipv4-2").size(), 50U);
  EXPECT_TRUE(plan(pods, slices).empty()) << "a second pass over a world that matches";
}

TEST(SubdomainSlicesTest, TheLimitIsAParameter) {
  FakeSlices slices;
  slices.apply(plan(members(5), slices, 2));
  EXPECT_EQ(slices.size(), 3U);
}

TEST(SubdomainSlicesTest, OneChangedMemberRewritesOnlyItsSlice) {
  FakeSlices slices;
  PodList pods = members(250);
  slices.apply(plan(pods, slices));
  const auto before = slices.layout();
  pods[150] = modified(pods[150], [](PodInfo& p) {
    p.ready = false;
    p.last_change = kEpoch + 60s;
  });
  const auto default_writes = plan(pods, slices);
  ASSERT_EQ(default_writes.size(), 1U);
  EXPECT_EQ(default_writes[0].action, WriteAction::kUpdate);
  EXPECT_EQ(default_writes[0].name, "s-ipv4-1");
  EXPECT_EQ(default_writes[0]
                .body["metadata"]["annotations"][std::string(kLastChangeTriggerTimeAnnotation)],
            "2024-01-01T00:01:00Z");
  slices.apply(default_writes);
  EXPECT_EQ(slices.layout(), before) << "nobody moved";
}

TEST(SubdomainSlicesTest, ANewMemberGoesToTheEmptiestSliceOfItsShape) {
  FakeSlices slices;
  PodList pods = members(150);
  slices.apply(plan(pods, slices));             // 100 + 50
  pods.erase(pods.begin(), pods.begin() + 10);  // s-ipv4-0 holds 90 now, s-ipv4-1 50
  slices.apply(plan(pods, slices));
  pods.push_back(member("new", "10.9.9.9"));
  const auto writes = plan(pods, slices);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].action, WriteAction::kUpdate);
  EXPECT_EQ(writes[0].name, "s-ipv4-1");
}

TEST(SubdomainSlicesTest, ALeavingMemberIsRemovedFromItsSliceOnly) {
  FakeSlices slices;
  PodList pods = members(150);
  slices.apply(plan(pods, slices));
  pods.erase(pods.begin() + 120);
  const auto writes = plan(pods, slices);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].name, "s-ipv4-1");
  slices.apply(writes);
  EXPECT_EQ(slices.layout().at("s-ipv4-1").size(), 49U);
  EXPECT_EQ(slices.layout().at("s-ipv4-0").size(), 100U);
}

TEST(SubdomainSlicesTest, ARemovalAloneDropsTheOldTriggerTime) {
  FakeSlices slices;
  auto a = modified(member("a"), [](PodInfo& p) { p.last_change = kEpoch + 10s; });
  slices.apply(plan({a, member("b", "10.0.0.2")}, slices));
  ASSERT_TRUE(slices.at("s-ipv4-0")["metadata"].contains("annotations"));
  const auto writes = plan({member("b", "10.0.0.2")}, slices);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_TRUE(writes[0]
                  .body["metadata"]["annotations"][std::string(kLastChangeTriggerTimeAnnotation)]
                  .is_null());
}

TEST(SubdomainSlicesTest, ASliceLeftEmptyIsDeleted) {
  FakeSlices slices;
  PodList pods = members(101);
  slices.apply(plan(pods, slices));
  ASSERT_EQ(slices.size(), 2U);
  pods.pop_back();
  const auto writes = plan(pods, slices);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].action, WriteAction::kDelete);
  EXPECT_EQ(writes[0].name, "s-ipv4-1");
  EXPECT_EQ(writes[0].uid, "uid-s-ipv4-1");
}

TEST(SubdomainSlicesTest, WithoutMembersEverySliceOfTheOperatorsGoesAndNoOtherOne) {
  FakeSlices slices;
  slices.apply(plan(members(3), slices));
  json foreign = *slices.list().front();
  foreign["metadata"]["name"] = "s-abcde";
  foreign["metadata"]["labels"][std::string(kSliceManagedByLabel)] = "someone-else";
  ObjectList existing = slices.list();
  existing.push_back(std::make_shared<const json>(foreign));
  json endpoints = {{"metadata",
                     {{"name", "s"},
                      {"uid", "ep-uid"},
                      {"labels", {{std::string(kManagedByLabel), std::string(kManagedByValue)}}}}}};
  const auto writes = plan_subdomain_slices({}, kService, existing, &endpoints, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 2U);
  EXPECT_EQ(writes[0].name, "s-ipv4-0");
  EXPECT_EQ(writes[0].action, WriteAction::kDelete);
  EXPECT_EQ(writes[1].kind, ObjectKind::kEndpoints);
  EXPECT_EQ(writes[1].uid, "ep-uid");
}

TEST(SubdomainSlicesTest, DualStackMembersGetOneSlicePerAddressType) {
  FakeSlices slices;
  const auto dual = modified(member("a"), [](PodInfo& p) { p.pod_ips = {"10.0.0.1", "fd00::1"}; });
  const auto writes = plan({dual, member("b", "10.0.0.2")}, slices);
  ASSERT_EQ(writes.size(), 2U);
  slices.apply(writes);
  EXPECT_EQ(slices.at("s-ipv4-0")["addressType"], "IPv4");
  EXPECT_EQ(slices.at("s-ipv4-0")["endpoints"].size(), 2U);
  EXPECT_EQ(slices.at("s-ipv6-0")["addressType"], "IPv6");
  ASSERT_EQ(slices.at("s-ipv6-0")["endpoints"].size(), 1U);
  EXPECT_EQ(slices.at("s-ipv6-0")["endpoints"][0]["addresses"], json::array({"fd00::1"}));
  EXPECT_EQ(slices.at("s-ipv6-0")["endpoints"][0]["hostname"], "a");
}

TEST(SubdomainSlicesTest, MembersWithDifferentPortSetsGoToDifferentSlices) {
  FakeSlices slices;
  const auto web = [](PodInfo& p) { p.named_ports = {{"http", "TCP", 8080}}; };
  const auto db = [](PodInfo& p) { p.named_ports = {{"pg", "TCP", 5432}}; };
  const PodList pods = {modified(member("a"), web), modified(member("b", "10.0.0.2"), db),
                        modified(member("c", "10.0.0.3"), web)};
  slices.apply(plan(pods, slices));
  ASSERT_EQ(slices.size(), 2U);
  EXPECT_EQ(slices.layout().at("s-ipv4-0"), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(slices.at("s-ipv4-0")["ports"],
            json::array({{{"name", "http"}, {"protocol", "TCP"}, {"port", 8080}}}));
  EXPECT_EQ(slices.layout().at("s-ipv4-1"), (std::vector<std::string>{"b"}));
  // b's ports change to web's: it moves, and its old slice goes.
  const PodList moved = {pods[0], modified(pods[1], web), pods[2]};
  const auto writes = plan(moved, slices);
  EXPECT_EQ(count(writes, WriteAction::kDelete), 1U);
  EXPECT_EQ(count(writes, WriteAction::kUpdate), 1U);
  slices.apply(writes);
  EXPECT_EQ(slices.layout().at("s-ipv4-0"), (std::vector<std::string>{"a", "c", "b"}));
  ReconcileOptions portless;
  portless.publish_ports = false;
  FakeSlices flat;
  flat.apply(plan(pods, flat, kMaxEndpointsPerSlice, portless));
  EXPECT_EQ(flat.size(), 1U) << "without ports every member has the same shape";
}

TEST(SubdomainSlicesTest, ADuplicateIsKeptInOneSliceOnly) {
  FakeSlices slices;
  slices.apply(plan(members(2), slices, 1));  // s-ipv4-0: m0, s-ipv4-1: m1
  json copy = slices.at("s-ipv4-1");
  copy["endpoints"].push_back(slices.at("s-ipv4-0")["endpoints"][0]);
  ObjectList existing = {std::make_shared<const json>(slices.at("s-ipv4-0")),
                         std::make_shared<const json>(copy)};
  const auto writes =
      plan_subdomain_slices(members(2), kService, existing, nullptr, ReconcileOptions{}, 1);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].name, "s-ipv4-1");
  EXPECT_EQ(writes[0].body["endpoints"].size(), 1U);
}

TEST(SubdomainSlicesTest, NewSliceNamesAvoidEveryExistingName) {
  FakeSlices slices;
  slices.apply(plan(members(1), slices));
  json other = slices.at("s-ipv4-0");
  other["metadata"]["name"] = "s-ipv4-1";
  other["metadata"]["labels"][std::string(kSliceManagedByLabel)] = "someone-else";
  ObjectList existing = slices.list();
  existing.push_back(std::make_shared<const json>(other));
  const auto writes =
      plan_subdomain_slices(members(2), kService, existing, nullptr, ReconcileOptions{}, 1);
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].name, "s-ipv4-2");
}

TEST(SubdomainSlicesTest, EditsToAnEndpointArePutBack) {
  FakeSlices slices;
  slices.apply(plan(members(2), slices));
  ObjectList existing;
  json edited = slices.at("s-ipv4-0");
  edited["endpoints"][1]["hostname"] = "wrong";
  existing.push_back(std::make_shared<const json>(edited));
  const auto writes =
      plan_subdomain_slices(members(2), kService, existing, nullptr, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].body["endpoints"][1]["hostname"], "m001");
}

// Random joins, leaves, address and port changes, applied round after round: the invariants of
// the packing hold after every round.
void expect_packed(const FakeSlices& slices, const PodList& pods, std::size_t max_endpoints) {
  std::map<std::string, int> seen;  // "<pod>/<address type>" -> times
  for (const auto& slice : slices.list()) {
    const json& endpoints = (*slice)["endpoints"];
    ASSERT_FALSE(endpoints.empty()) << "an empty slice is deleted";
    EXPECT_LE(endpoints.size(), max_endpoints);
    for (const json& endpoint : endpoints) {
      ++seen[endpoint["targetRef"]["name"].get<std::string>() + "/" +
             (*slice)["addressType"].get<std::string>()];
    }
  }
  std::size_t expected = 0;
  for (const auto& pod : pods) {
    for (const std::string& ip : pod->pod_ips) {
      ++expected;
      const std::string id =
          pod->name + (address_family(ip) == AddressFamily::kIPv4 ? "/IPv4" : "/IPv6");
      EXPECT_EQ(seen[id], 1) << id;
    }
  }
  EXPECT_EQ(seen.size(), expected);
}

TEST(SubdomainSlicesTest, RandomChurnKeepsThePackingInvariants) {
  std::mt19937 random(13);  // NOLINT(cert-msc32-c,cert-msc51-cpp): reproducible on purpose
  const std::size_t max_endpoints = 7;
  FakeSlices slices;
  std::map<std::string, std::shared_ptr<const PodInfo>> pods;
  int next = 0;
  for (int round = 0; round < 200; ++round) {
    const int action = static_cast<int>(random() % 4);
    if (action == 0 || pods.size() < 5) {
      std::string name = "p" + std::to_string(next++);
      auto pod =
          member(name, "10.1." + std::to_string(next / 200) + "." + std::to_string(next % 200 + 1));
      if (random() % 3 == 0)
        pod = modified(pod,
                       [&](PodInfo& p) { p.pod_ips.push_back("fd00::" + std::to_string(next)); });
      pods[name] = pod;
    } else if (action == 1) {
      pods.erase(std::next(pods.begin(), static_cast<long>(random() % pods.size())));
    } else {
      auto it = std::next(pods.begin(), static_cast<long>(random() % pods.size()));
      it->second = modified(it->second, [&](PodInfo& p) {
        if (action == 2)
          p.ready = !p.ready;
        else
          p.named_ports = random() % 2 == 0 ? std::vector<NamedPort>{{"http", "TCP", 80}}
                                            : std::vector<NamedPort>{};
      });
    }
    PodList list;
    for (const auto& [name, pod] : pods)
      list.push_back(pod);
    slices.apply(plan(list, slices, max_endpoints));
    expect_packed(slices, list, max_endpoints);
    ASSERT_TRUE(plan(list, slices, max_endpoints).empty()) << "round " << round;
    if (::testing::Test::HasFailure())
      return;
  }
}

// --- the per-pod name of a member ----------------------------------------------------------------

TEST(SubdomainPerPodTest, TheMembersOwnServiceIsAnAliasOfItsFqdnWithoutSlices) {
  const auto pod = member("web-0");
  const json service = desired_service(*pod, "web-0", ReconcileOptions{});
  EXPECT_EQ(service["spec"],
            json({{"type", "ExternalName"}, {"externalName", "web-0.s.ns.svc.cluster.local"}}));
  EXPECT_EQ(service["metadata"]["ownerReferences"][0]["uid"], "uid-web-0");
  EXPECT_TRUE(is_owned_service(service));
  // Its old per-pod slice goes: its IP must sit only in the subdomain's slice.
  ReconcileOptions off;
  off.subdomain_records = false;
  const ServiceRef ref{"ns", "web-0", "uid"};
  const auto old_slices = desired_endpoint_slices(*pod, ref, off);
  ASSERT_EQ(old_slices.size(), 1U);
  json existing = old_slices[0];
  existing["metadata"]["uid"] = "slice-uid";
  const auto writes = plan_dependents(pod.get(), ref, {std::make_shared<const json>(existing)},
                                      nullptr, false, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].action, WriteAction::kDelete);
  EXPECT_TRUE(plan_dependents(pod.get(), ref, {}, nullptr, false, ReconcileOptions{}).empty());
}

TEST(SubdomainPerPodTest, AHeadlessServiceOfTheOperatorsIsRecreatedAsTheAlias) {
  const auto pod = member("web-0");
  ReconcileOptions off;
  off.subdomain_records = false;
  json headless = served(desired_service(*pod, "web-0", off));
  EXPECT_EQ(plan_service("ns", "web-0", {pod}, &headless, ReconcileOptions{}).action,
            Action::kRecreate);
  EXPECT_EQ(plan_service("ns", "web-0", {pod}, &headless, off).action, Action::kNothing)
      << "with subdomain records off, exactly as before";
  json alias = served(desired_service(*pod, "web-0", ReconcileOptions{}));
  alias["spec"].erase("clusterIPs");
  EXPECT_EQ(plan_service("ns", "web-0", {pod}, &alias, ReconcileOptions{}).action,
            Action::kNothing);
  EXPECT_EQ(plan_service("ns", "web-0", {pod}, &alias, off).action, Action::kRecreate);
  ReconcileOptions zone;
  zone.cluster_domain = "corp.example";
  const ServicePlan retarget = plan_service("ns", "web-0", {pod}, &alias, zone);
  ASSERT_EQ(retarget.action, Action::kPatch);
  EXPECT_EQ(retarget.body["spec"]["externalName"], "web-0.s.ns.svc.corp.example");
}

// --- without per-pod aliases (subdomain_hostname_aliases off) ----------------------------------

ReconcileOptions without_aliases() {
  ReconcileOptions options;
  options.subdomain_hostname_aliases = false;
  return options;
}

TEST(SubdomainWithoutAliasesTest, AMemberNeedsNoServiceOfItsOwnOnlyWithTheOptionOff) {
  const PodInfo pod = *member("web-0");
  EXPECT_FALSE(records_in_subdomain_only(pod, ReconcileOptions{})) << "the default: an alias";
  EXPECT_TRUE(records_in_subdomain_only(pod, without_aliases()));
  ReconcileOptions no_records = without_aliases();
  no_records.subdomain_records = false;
  EXPECT_FALSE(records_in_subdomain_only(pod, no_records)) << "records of its own, as before";
  EXPECT_FALSE(
      records_in_subdomain_only(test::PodBuilder("web-1").asking().info(), without_aliases()))
      << "no spec.subdomain";
  EXPECT_FALSE(records_in_subdomain_only(
      *modified(member("web-0"), [](PodInfo& p) { p.wants_service = false; }), without_aliases()));
  // A hostname the subdomain's slices cannot name: its per-pod key reports it (InvalidHostname).
  EXPECT_FALSE(records_in_subdomain_only(
      *modified(member("web-0"), [](PodInfo& p) { p.name = "web.0"; }), without_aliases()));
  EXPECT_TRUE(records_in_subdomain_only(
      *modified(member("web-0"), [](PodInfo& p) { p.spec_hostname = "0web"; }), without_aliases()))
      << "a DNS label, though no Service name: it needs none";
}

TEST(SubdomainWithoutAliasesTest, MembersOfAServedSubdomainLeaveThePerPodCompetition) {
  const auto ours = member("web-0");
  const auto theirs =
      modified(member("web-0", "10.0.0.2"), [](PodInfo& p) { p.spec_subdomain = "db"; });
  const auto plain = test::PodBuilder("web-0").uid("plain").asking().shared();
  std::vector<std::string> asked;
  const auto is_served = [&](const std::string& subdomain) {
    asked.push_back(subdomain);
    return subdomain == "s";
  };
  EXPECT_EQ(pods_wanting_own_service({ours, theirs, plain}, without_aliases(), is_served),
            (PodList{theirs, plain}));
  EXPECT_EQ(asked, (std::vector<std::string>{"s", "db"}));
  asked.clear();
  EXPECT_EQ(pods_wanting_own_service({ours, theirs, plain}, ReconcileOptions{}, is_served),
            (PodList{ours, theirs, plain}));
  EXPECT_TRUE(asked.empty()) << "the default needs no look at the subdomain's Service";
}

TEST(SubdomainWithoutAliasesTest, TheAliasOfTheOperatorsGoesAndAForeignNameIsLeftSilently) {
  const auto pod = member("web-0");
  const PodList wanting =
      pods_wanting_own_service({pod}, without_aliases(), [](const std::string&) { return true; });
  json alias = served(desired_service(*pod, "web-0", ReconcileOptions{}));
  const ServicePlan gone = plan_service("ns", "web-0", wanting, &alias, without_aliases());
  EXPECT_EQ(gone.action, Action::kDelete);
  EXPECT_EQ(gone.existing_uid, "svc-uid");
  EXPECT_EQ(gone.candidates.winner, nullptr);
  const json foreign = json::parse(R"({"metadata": {"name": "web-0", "namespace": "ns",
      "uid": "theirs"}, "spec": {"clusterIP": "10.96.0.9", "selector": {"app": "web"}}})");
  const ServicePlan left = plan_service("ns", "web-0", wanting, &foreign, without_aliases());
  EXPECT_EQ(left.action, Action::kNothing);
  EXPECT_TRUE(left.candidates.skipped.empty()) << "the pod does not want the name: no Warning";
  EXPECT_EQ(plan_service("ns", "web-0", wanting, nullptr, without_aliases()).action,
            Action::kNothing);
  // Its old slices go with the alias (none, as an alias has none; a headless one's would).
  ReconcileOptions off;
  off.subdomain_records = false;
  json slice = desired_endpoint_slices(*pod, {"ns", "web-0", "svc-uid"}, off)[0];
  slice["metadata"]["uid"] = "slice-uid";
  const auto writes =
      plan_dependents(nullptr, {"ns", "web-0", "svc-uid"}, {std::make_shared<const json>(slice)},
                      nullptr, false, without_aliases());
  ASSERT_EQ(writes.size(), 1U);
  EXPECT_EQ(writes[0].action, WriteAction::kDelete);
}

TEST(SubdomainWithoutAliasesTest, TheSubdomainCountsTheMembersItAloneServes) {
  const PodList list = {
      member("a"), member("b", "10.0.0.2"),
      modified(member("c", "10.0.0.3"), [](PodInfo& p) { p.wants_service = false; }),
      modified(member("d", "10.0.0.4"), [](PodInfo& p) { p.name = "d.x"; })};
  EXPECT_EQ(members_without_own_service("s", list, without_aliases()), 2U);
  EXPECT_EQ(members_without_own_service("s", list, ReconcileOptions{}), 0U) << "aliases count";
  EXPECT_EQ(members_without_own_service("other", list, without_aliases()), 0U);
  // The slices are the same with or without aliases.
  EXPECT_EQ(plan_subdomain_slices(list, kService, {}, nullptr, without_aliases()),
            plan_subdomain_slices(list, kService, {}, nullptr, ReconcileOptions{}));
}

}  // namespace
}  // namespace hso::reconciler::plan
