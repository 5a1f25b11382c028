#include "hso/reconciler/plan/desired_objects.hpp"

#include <gtest/gtest.h>

#include "hso/reconciler/plan/ownership.hpp"
#include "support/pod_builder.hpp"

namespace hso::reconciler::plan {
namespace {

using nlohmann::json;

PodInfo running_pod() {
  return test::PodBuilder("web-0")
      .uid("pod-uid")
      .asking()
      .running({"10.0.0.7"}, "node-a")
      .ready()
      .info();
}

const ServiceRef kService{"ns", "web-0", "svc-uid"};

TEST(DesiredServiceTest, IsHeadlessSelectorlessAndOwnedByThePod) {
  const json service = desired_service(running_pod(), "web-0", ReconcileOptions{});
  EXPECT_EQ(service, json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {
      "name": "web-0", "namespace": "ns",
      "labels": {"app.kubernetes.io/managed-by": "k8s-pod-headless-service-operator"},
      "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "web-0", "uid": "pod-uid",
                           "controller": true}]
    },
    "spec": {"type": "ClusterIP", "clusterIP": "None"}
  })"));
}

TEST(DesiredServiceTest, TakesTheGivenNameAndCopiesNoAnnotations) {
  PodInfo pod = running_pod();
  pod.spec_hostname = "db";
  const json service = desired_service(pod, "db", ReconcileOptions{});
  EXPECT_EQ(service["metadata"]["name"], "db");
  EXPECT_FALSE(service["metadata"].contains("annotations"));
  EXPECT_FALSE(service["spec"].contains("selector"));
  EXPECT_FALSE(service["spec"].contains("ports"));
  EXPECT_EQ(service["metadata"]["ownerReferences"][0]["name"], "web-0");
}

TEST(DesiredServiceTest, NoBlockOwnerDeletion) {
  ReconcileOptions options;
  EXPECT_FALSE(
      desired_service(running_pod(), "web-0", options)["metadata"]["ownerReferences"][0].contains(
          "blockOwnerDeletion"));
}

TEST(DesiredEndpointSliceTest, OneIPv4SliceForASingleStackPod) {
  const auto slices = desired_endpoint_slices(running_pod(), kService, ReconcileOptions{});
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0], json::parse(R"({
    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "metadata": {
      "name": "web-0-ipv4", "namespace": "ns",
      "labels": {
        "kubernetes.io/service-name": "web-0",
        "endpointslice.kubernetes.io/managed-by": "k8s-pod-headless-service-operator.srcd.host",
        "service.kubernetes.io/headless": ""
      },
      "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "web-0",
                           "uid": "svc-uid", "controller": true}]
    },
    "addressType": "IPv4",
    "endpoints": [{
      "addresses": ["10.0.0.7"],
      "conditions": {"ready": true, "serving": true, "terminating": false},
      "nodeName": "node-a",
      "targetRef": {"kind": "Pod", "namespace": "ns", "name": "web-0", "uid": "pod-uid"}
    }],
    "ports": []
  })"));
}

TEST(DesiredEndpointSliceTest, OneSlicePerFamilyForADualStackPod) {
  PodInfo pod = running_pod();
  pod.pod_ips = {"fd00::7", "10.0.0.7"};
  const auto slices = desired_endpoint_slices(pod, kService, ReconcileOptions{});
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[0]["metadata"]["name"], "web-0-ipv4");
  EXPECT_EQ(slices[0]["addressType"], "IPv4");
  EXPECT_EQ(slices[0]["endpoints"][0]["addresses"], json::array({"10.0.0.7"}));
  EXPECT_EQ(slices[1]["metadata"]["name"], "web-0-ipv6");
  EXPECT_EQ(slices[1]["addressType"], "IPv6");
  EXPECT_EQ(slices[1]["endpoints"][0]["addresses"], json::array({"fd00::7"}));
}

TEST(DesiredEndpointSliceTest, OnlyTheFirstAddressOfAFamily) {
  PodInfo pod = running_pod();
  pod.pod_ips = {"10.0.0.7", "10.0.0.8"};
  const auto slices = desired_endpoint_slices(pod, kService, ReconcileOptions{});
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0]["endpoints"][0]["addresses"], json::array({"10.0.0.7"}));
}

TEST(DesiredEndpointSliceTest, NoSliceWithoutAnIpOrOnceThePodFinished) {
  PodInfo no_ip = running_pod();
  no_ip.pod_ips.clear();
  EXPECT_TRUE(desired_endpoint_slices(no_ip, kService, ReconcileOptions{}).empty());
  for (const PodPhase phase : {PodPhase::kSucceeded, PodPhase::kFailed}) {
    PodInfo finished = running_pod();
    finished.phase = phase;
    EXPECT_TRUE(desired_endpoint_slices(finished, kService, ReconcileOptions{}).empty());
  }
}

TEST(DesiredEndpointSliceTest, NoNodeNameBeforeScheduling) {
  PodInfo pod = running_pod();
  pod.node_name.clear();
  const auto slices = desired_endpoint_slices(pod, kService, ReconcileOptions{});
  EXPECT_FALSE(slices.at(0)["endpoints"][0].contains("nodeName"));
}

struct ConditionCase {
  bool publish_not_ready;
  bool pod_ready;
  bool terminating;
  EndpointConditions expected;
};

class DesiredConditionsTest : public ::testing::TestWithParam<ConditionCase> {};

TEST_P(DesiredConditionsTest, FollowTheEndpointSliceConventions) {
  const ConditionCase& c = GetParam();
  PodInfo pod = running_pod();
  pod.ready = c.pod_ready;
  pod.terminating = c.terminating;
  EXPECT_EQ(endpoint_conditions(pod, c.publish_not_ready), c.expected);
  ReconcileOptions options;
  options.publish_not_ready = c.publish_not_ready;
  const json conditions =
      desired_endpoint_slices(pod, kService, options).at(0)["endpoints"][0]["conditions"];
  EXPECT_EQ(conditions["ready"], c.expected.ready);
  EXPECT_EQ(conditions["serving"], c.expected.serving);
  EXPECT_EQ(conditions["terminating"], c.expected.terminating);
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, DesiredConditionsTest,
    ::testing::Values(
        // publish-not-ready: hostnames resolve before readiness (cluster bootstrap).
        ConditionCase{true, true, false, {true, true, false}},
        ConditionCase{true, false, false, {true, false, false}},
        ConditionCase{true, true, true, {true, true, true}},
        ConditionCase{true, false, true, {true, false, true}},
        // Otherwise ready follows the Ready condition, and a terminating pod is not ready.
        ConditionCase{false, true, false, {true, true, false}},
        ConditionCase{false, false, false, {false, false, false}},
        ConditionCase{false, true, true, {false, true, true}},
        ConditionCase{false, false, true, {false, false, true}}));

TEST(DesiredEndpointsTest, LegacyEndpointsSkipMirroringAndListTheAddresses) {
  PodInfo pod = running_pod();
  pod.pod_ips = {"10.0.0.7", "fd00::7"};
  EXPECT_EQ(desired_endpoints(pod, kService, ReconcileOptions{}), json::parse(R"({
    "apiVersion": "v1", "kind": "Endpoints",
    "metadata": {
      "name": "web-0", "namespace": "ns",
      "labels": {"app.kubernetes.io/managed-by": "k8s-pod-headless-service-operator",
                 "endpointslice.kubernetes.io/skip-mirror": "true"},
      "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "web-0",
                           "uid": "svc-uid", "controller": true}]
    },
    "subsets": [{"addresses": [
      {"ip": "10.0.0.7", "nodeName": "node-a",
       "targetRef": {"kind": "Pod", "namespace": "ns", "name": "web-0", "uid": "pod-uid"}},
      {"ip": "fd00::7", "nodeName": "node-a",
       "targetRef": {"kind": "Pod", "namespace": "ns", "name": "web-0", "uid": "pod-uid"}}
    ]}]
  })"));
}

TEST(DesiredEndpointsTest, NotReadyAddressesWhenNotReady) {
  PodInfo pod = running_pod();
  pod.ready = false;
  ReconcileOptions options;
  options.publish_not_ready = false;
  const json subsets = desired_endpoints(pod, kService, options)["subsets"];
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_FALSE(subsets[0].contains("addresses"));
  EXPECT_EQ(subsets[0]["notReadyAddresses"][0]["ip"], "10.0.0.7");
}

TEST(DesiredEndpointsTest, EmptyWithoutAddress) {
  PodInfo pod = running_pod();
  pod.phase = PodPhase::kSucceeded;
  EXPECT_EQ(desired_endpoints(pod, kService, ReconcileOptions{})["subsets"], json::array());
}

TEST(DesiredNamesTest, SliceNamesAreDeterministicAndValid) {
  const std::string longest(63, 'a');
  EXPECT_EQ(endpoint_slice_name(longest, AddressFamily::kIPv4), longest + "-ipv4");
  EXPECT_EQ(endpoint_slice_name("x", AddressFamily::kIPv6), "x-ipv6");
}

}  // namespace
}  // namespace hso::reconciler::plan
