#include "hso/reconciler/plan/trigger_time.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hso/reconciler/plan/decision.hpp"
#include "hso/reconciler/plan/desired_objects.hpp"
#include "hso/reconciler/plan/pod_info.hpp"
#include "hso/util/time_format.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kKey = "srcd.host/create-headless-service";
const std::string kAnnotation(kLastChangeTriggerTimeAnnotation);

std::chrono::sys_seconds at(const char* rfc3339) {
  return std::chrono::floor<std::chrono::seconds>(*parse_rfc3339(rfc3339));
}

json pod_json() {
  return json::parse(R"({
    "metadata": {"namespace": "ns", "name": "web-0", "uid": "uid-1",
                 "creationTimestamp": "2024-05-01T12:00:00Z",
                 "annotations": {"srcd.host/create-headless-service": "true"}},
    "spec": {"nodeName": "node-a"},
    "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.1"}]}
  })");
}

struct TriggerCase {
  const char* name;
  json conditions;  // status.conditions, null: absent
  json deletion;    // metadata.deletionTimestamp, null: absent
  json grace;       // metadata.deletionGracePeriodSeconds, null: absent
  const char* expected;
};

TEST(TriggerTimeTest, IsTheLatestChangeOfThePod) {
  const std::vector<TriggerCase> cases = {
      {"no conditions: the creation", nullptr, nullptr, nullptr, "2024-05-01T12:00:00Z"},
      {"the latest transition",
       json::parse(R"([{"type": "PodScheduled", "lastTransitionTime": "2024-05-01T12:00:01Z"},
                       {"type": "Ready", "lastTransitionTime": "2024-05-01T12:00:09Z"},
                       {"type": "Initialized", "lastTransitionTime": "2024-05-01T12:00:03Z"}])"),
       nullptr, nullptr, "2024-05-01T12:00:09Z"},
      {"a fraction is dropped",
       json::parse(R"([{"type": "Ready", "lastTransitionTime": "2024-05-01T12:00:09.75Z"}])"),
       nullptr, nullptr, "2024-05-01T12:00:09Z"},
      {"malformed or missing times are ignored",
       json::parse(R"([{"type": "Ready", "lastTransitionTime": "yesterday"},
                       {"type": "Initialized"}, 7,
                       {"type": "ContainersReady", "lastTransitionTime": "2024-05-01T12:00:02Z"}])"),
       nullptr, nullptr, "2024-05-01T12:00:02Z"},
      {"nothing earlier than the creation",
       json::parse(R"([{"type": "Ready", "lastTransitionTime": "2024-04-30T00:00:00Z"}])"), nullptr,
       nullptr, "2024-05-01T12:00:00Z"},
      {"deletion: when it was asked for", nullptr, "2024-05-01T12:01:00Z", 30,
       "2024-05-01T12:00:30Z"},
      {"deletion without a grace period", nullptr, "2024-05-01T12:01:00Z", nullptr,
       "2024-05-01T12:01:00Z"},
      {"deletion with an absurd grace period", nullptr, "2024-05-01T12:01:00Z", -5,
       "2024-05-01T12:01:00Z"},
      {"a condition after the deletion request",
       json::parse(R"([{"type": "Ready", "lastTransitionTime": "2024-05-01T12:00:40Z"}])"),
       "2024-05-01T12:01:00Z", 30, "2024-05-01T12:00:40Z"},
  };
  for (const TriggerCase& c : cases) {
    json pod = pod_json();
    if (!c.conditions.is_null())
      pod["status"]["conditions"] = c.conditions;
    if (!c.deletion.is_null())
      pod["metadata"]["deletionTimestamp"] = c.deletion;
    if (!c.grace.is_null())
      pod["metadata"]["deletionGracePeriodSeconds"] = c.grace;
    EXPECT_EQ(pod_trigger_time(pod, at("2024-05-01T12:00:00Z")), at(c.expected)) << c.name;
    const auto info = project_pod(pod, kKey);
    ASSERT_TRUE(info) << c.name;
    EXPECT_EQ(info->last_change, at(c.expected)) << c.name;
  }
}

TEST(TriggerTimeTest, PodsThatDoNotAskKeepNone) {
  json pod = pod_json();
  pod["metadata"]["annotations"][kKey] = "false";
  pod["status"]["conditions"] =
      json::parse(R"([{"type": "Ready", "lastTransitionTime": "2024-05-01T12:00:09Z"}])");
  EXPECT_EQ(project_pod(pod, kKey)->last_change, std::chrono::sys_seconds{});
}

TEST(TriggerTimeTest, TheValueIsRfc3339InUtc) {
  EXPECT_EQ(format_rfc3339(at("2024-05-01T12:00:09Z")), "2024-05-01T12:00:09Z");
  EXPECT_EQ(format_rfc3339(at("2024-05-01T14:00:09+02:00")), "2024-05-01T12:00:09Z");
}

// --- the slices -----------------------------------------------------------------------------

const ServiceRef kService{"ns", "web-0", "svc-uid"};

PodInfo pod_info(const char* last_change) {
  PodInfo info = *project_pod(pod_json(), kKey);
  info.ready = true;
  info.last_change = at(last_change);
  return info;
}

// A slice as the API server returns what the operator wrote.
ObjectList served(const PodInfo& pod) {
  ObjectList list;
  for (json slice : desired_endpoint_slices(pod, kService, ReconcileOptions{})) {
    slice["metadata"]["uid"] = "slice-uid";
    slice["metadata"]["resourceVersion"] = "200";
    slice["ports"] = nullptr;
    list.push_back(std::make_shared<const json>(std::move(slice)));
  }
  return list;
}

TEST(TriggerTimeTest, ANewSliceCarriesIt) {
  const PodInfo pod = pod_info("2024-05-01T12:00:09Z");
  const auto writes = plan_dependents(&pod, kService, {}, nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].body["metadata"]["annotations"][kAnnotation], "2024-05-01T12:00:09Z");
}

TEST(TriggerTimeTest, AnUnknownTimeIsNotWritten) {
  PodInfo pod = pod_info("2024-05-01T12:00:09Z");
  pod.last_change = {};
  const auto slices = desired_endpoint_slices(pod, kService, ReconcileOptions{});
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_FALSE(slices[0]["metadata"].contains("annotations"));
}

struct PlanCase {
  const char* name;
  const char* served_time;  // the annotation on the slice; nullptr: none (an older operator's)
  bool address_moves;
  const char* expected;  // the annotation in the patch; nullptr: no write at all
};

// A restart, or a resync, over slices that match writes nothing, whatever their trigger time;
// a slice written for a real change carries the pod's.
TEST(TriggerTimeTest, ADifferingTimeAloneIsNoReasonToWrite) {
  const std::vector<PlanCase> cases = {
      {"same time, nothing changed", "2024-05-01T12:05:00Z", false, nullptr},
      {"older time, nothing changed", "2024-05-01T12:00:09Z", false, nullptr},
      {"no annotation, nothing changed", nullptr, false, nullptr},
      {"address moved", "2024-05-01T12:00:09Z", true, "2024-05-01T12:05:00Z"},
      {"address moved, slice had no annotation", nullptr, true, "2024-05-01T12:05:00Z"},
  };
  for (const PlanCase& c : cases) {
    PodInfo before = pod_info("2024-05-01T12:00:00Z");
    before.last_change = c.served_time == nullptr ? std::chrono::sys_seconds{} : at(c.served_time);
    PodInfo now = pod_info("2024-05-01T12:05:00Z");
    if (c.address_moves)
      now.pod_ips = {"10.0.0.2"};
    const auto writes =
        plan_dependents(&now, kService, served(before), nullptr, true, ReconcileOptions{});
    if (c.expected == nullptr) {
      EXPECT_TRUE(writes.empty()) << c.name;
      continue;
    }
    ASSERT_EQ(writes.size(), 1u) << c.name;
    EXPECT_EQ(writes[0].body["metadata"]["annotations"], json({{kAnnotation, c.expected}}))
        << c.name;
    EXPECT_EQ(writes[0].body["metadata"]["resourceVersion"], "200") << c.name;
  }
}

TEST(TriggerTimeTest, AnUnchangedTimeIsNotRepeatedInAPatch) {
  const PodInfo pod = pod_info("2024-05-01T12:05:00Z");
  PodInfo moved = pod;
  moved.pod_ips = {"10.0.0.2"};
  const auto writes =
      plan_dependents(&moved, kService, served(pod), nullptr, true, ReconcileOptions{});
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_FALSE(writes[0].body["metadata"].contains("annotations"));
}

TEST(TriggerTimeTest, OtherAnnotationsAreLeftAlone) {
  json existing = {{"metadata", {{"annotations", {{"team", "a"}}}}}};
  const json desired = {{"metadata", {{"annotations", {{kAnnotation, "2024-05-01T12:05:00Z"}}}}}};
  json patch = {{"endpoints", json::array()}};
  carry_trigger_time(patch, existing, desired);
  EXPECT_EQ(patch["metadata"]["annotations"], json({{kAnnotation, "2024-05-01T12:05:00Z"}}));
}

}  // namespace
}  // namespace hso::reconciler::plan
