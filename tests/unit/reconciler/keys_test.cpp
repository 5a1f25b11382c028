#include "hso/reconciler/keys.hpp"

#include <gtest/gtest.h>

#include "hso/kube/request_path.hpp"

namespace hso::reconciler {
namespace {

using nlohmann::json;

TEST(ReconcilerKeysTest, ParsesNamespaceAndName) {
  EXPECT_EQ(ObjectKey::parse("ns/web-0"), (ServiceKey{"ns", "web-0"}));
  EXPECT_EQ(ObjectKey::parse("ns/web-0")->str(), "ns/web-0");
  for (const char* bad : {"", "ns", "/web", "ns/", "a/b/c"})
    EXPECT_FALSE(ObjectKey::parse(bad)) << bad;
}

TEST(ReconcilerKeysTest, APodMapsToItsEffectiveHostname) {
  PodInfo pod;
  pod.namespace_name = "ns";
  pod.name = std::string(70, 'p');
  EXPECT_EQ(key_for_pod(pod), "ns/" + std::string(63, 'p'));
  pod.spec_hostname = "db";
  EXPECT_EQ(key_for_pod(pod), "ns/db");
  pod.wants_service = false;  // a removed annotation still reaches the reconciler
  EXPECT_EQ(key_for_pod(pod), "ns/db");
}

TEST(ReconcilerKeysTest, OwnedObjectsMapToTheirService) {
  EXPECT_EQ(key_for_service(json::parse(R"({"metadata": {"namespace": "ns", "name": "db"}})")),
            "ns/db");
  EXPECT_EQ(key_for_endpoints(json::parse(R"({"metadata": {"namespace": "ns", "name": "db"}})")),
            "ns/db");
  EXPECT_EQ(key_for_endpoint_slice(json::parse(R"({"metadata": {"namespace": "ns",
      "name": "db-ipv4", "labels": {"kubernetes.io/service-name": "db"}}})")),
            "ns/db");
  EXPECT_FALSE(key_for_endpoint_slice(
      json::parse(R"({"metadata": {"namespace": "ns", "name": "db-ipv4"}})")));
  EXPECT_FALSE(key_for_service(json::parse(R"({"metadata": {"name": "db"}})")));
  EXPECT_FALSE(key_for_service(json()));
  EXPECT_FALSE(key_for_endpoint_slice(json::array()));
}

TEST(ReconcilerPathsTest, AreTheApiServersPaths) {
  EXPECT_EQ(kube::collection_path(kube::kServices, "ns"), "/api/v1/namespaces/ns/services");
  EXPECT_EQ(kube::object_path(kube::kServices, "ns", "db"), "/api/v1/namespaces/ns/services/db");
  EXPECT_EQ(kube::collection_path(kube::kEndpointSlices, "ns"),
            "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices");
  EXPECT_EQ(kube::object_path(kube::kEndpointSlices, "ns", "db-ipv4"),
            "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices/db-ipv4");
  EXPECT_EQ(kube::collection_path(kube::kEndpoints, "ns"), "/api/v1/namespaces/ns/endpoints");
  EXPECT_EQ(kube::object_path(kube::kEndpoints, "ns", "db"), "/api/v1/namespaces/ns/endpoints/db");
  EXPECT_EQ(kube::collection_path(kube::kEvents, "ns"),
            "/apis/events.k8s.io/v1/namespaces/ns/events");
  EXPECT_EQ(kube::object_path(kube::kEvents, "ns", "e"),
            "/apis/events.k8s.io/v1/namespaces/ns/events/e");
}

}  // namespace
}  // namespace hso::reconciler
