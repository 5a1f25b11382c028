#include <gtest/gtest.h>

#include "hso/reconciler/api_paths.hpp"
#include "hso/reconciler/keys.hpp"

namespace hso::reconciler {
namespace {

using nlohmann::json;

TEST(ReconcilerKeysTest, ParsesNamespaceAndName) {
  EXPECT_EQ(parse_key("ns/web-0"), (ServiceKey{"ns", "web-0"}));
  EXPECT_EQ(parse_key("ns/web-0")->str(), "ns/web-0");
  for (const char* bad : {"", "ns", "/web", "ns/", "a/b/c"})
    EXPECT_FALSE(parse_key(bad)) << bad;
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
  EXPECT_EQ(paths::services("ns"), "/api/v1/namespaces/ns/services");
  EXPECT_EQ(paths::service("ns", "db"), "/api/v1/namespaces/ns/services/db");
  EXPECT_EQ(paths::endpoint_slices("ns"), "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices");
  EXPECT_EQ(paths::endpoint_slice("ns", "db-ipv4"),
            "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices/db-ipv4");
  EXPECT_EQ(paths::endpoints_collection("ns"), "/api/v1/namespaces/ns/endpoints");
  EXPECT_EQ(paths::endpoints("ns", "db"), "/api/v1/namespaces/ns/endpoints/db");
  EXPECT_EQ(paths::events("ns"), "/apis/events.k8s.io/v1/namespaces/ns/events");
  EXPECT_EQ(paths::event("ns", "e"), "/apis/events.k8s.io/v1/namespaces/ns/events/e");
}

}  // namespace
}  // namespace hso::reconciler
