#include "hso/reconciler/plan/keys.hpp"

#include <gtest/gtest.h>

namespace hso::reconciler::plan {
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

}  // namespace
}  // namespace hso::reconciler::plan
