#include "hso/kube/request_path.hpp"

#include <gtest/gtest.h>

namespace hso::kube {
namespace {

TEST(RequestPath, BuildsCollectionAndObjectPaths) {
  EXPECT_EQ(collection_path(kServices, "ns"), "/api/v1/namespaces/ns/services");
  EXPECT_EQ(collection_path(kPods), "/api/v1/pods");
  EXPECT_EQ(collection_path(kEndpointSlices, "ns"),
            "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices");
  EXPECT_EQ(object_path(kLeases, "kube-system", "hso"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/hso");
  EXPECT_EQ(object_path(kEvents, "ns", "e.1"), "/apis/events.k8s.io/v1/namespaces/ns/events/e.1");
  EXPECT_EQ(collection_path(kTokenReviews), "/apis/authentication.k8s.io/v1/tokenreviews");
  EXPECT_EQ(resource_of_path(object_path(kEndpoints, "ns", "a")), "endpoints");
}

TEST(RequestPath, ResourceOfPath) {
  EXPECT_EQ(resource_of_path("/api/v1/namespaces/ns/services/a"), "services");
  EXPECT_EQ(resource_of_path("/api/v1/namespaces/ns/pods/p/status"), "pods");
  EXPECT_EQ(resource_of_path("/api/v1/namespaces"), "namespaces");
  EXPECT_EQ(resource_of_path("/api/v1/namespaces/ns"), "namespaces");
  EXPECT_EQ(resource_of_path("/api/v1/pods?watch=true"), "pods");
  EXPECT_EQ(resource_of_path("/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices"),
            "endpointslices");
  EXPECT_EQ(resource_of_path("/apis/coordination.k8s.io/v1/namespaces/ns/leases/l"), "leases");
  EXPECT_EQ(resource_of_path("/healthz"), "");
  EXPECT_EQ(resource_of_path(""), "");
}

TEST(RequestPath, QueryEncoding) {
  EXPECT_EQ(encode_query_value("a=b,c!=d"), "a%3Db%2Cc%21%3Dd");
  EXPECT_EQ(encode_query_value("x y/z~_.-"), "x%20y%2Fz~_.-");
  EXPECT_EQ(with_query("/p", {{"a", "1"}, {"skip", ""}, {"b", "2"}}), "/p?a=1&b=2");
  EXPECT_EQ(with_query("/p?x=1", {{"a", "1"}}), "/p?x=1&a=1");
  EXPECT_EQ(with_query("/p", {}), "/p");
}

// The resources the reconciler writes.
TEST(RequestPath, TheReconcilersResourcesAreTheApiServersPaths) {
  EXPECT_EQ(collection_path(kServices, "ns"), "/api/v1/namespaces/ns/services");
  EXPECT_EQ(object_path(kServices, "ns", "db"), "/api/v1/namespaces/ns/services/db");
  EXPECT_EQ(collection_path(kEndpointSlices, "ns"),
            "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices");
  EXPECT_EQ(object_path(kEndpointSlices, "ns", "db-ipv4"),
            "/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices/db-ipv4");
  EXPECT_EQ(collection_path(kEndpoints, "ns"), "/api/v1/namespaces/ns/endpoints");
  EXPECT_EQ(object_path(kEndpoints, "ns", "db"), "/api/v1/namespaces/ns/endpoints/db");
  EXPECT_EQ(collection_path(kEvents, "ns"), "/apis/events.k8s.io/v1/namespaces/ns/events");
  EXPECT_EQ(object_path(kEvents, "ns", "e"), "/apis/events.k8s.io/v1/namespaces/ns/events/e");
}

}  // namespace
}  // namespace hso::kube
