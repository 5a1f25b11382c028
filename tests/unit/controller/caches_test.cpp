#include "hso/controller/caches.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "hso/controller/packed_object.hpp"
#include "support/pod_builder.hpp"

namespace hso::controller {
namespace {

using nlohmann::json;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr const char* kAnnotation = "srcd.host/create-headless-service";

json service(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"uid", "0b6c1f8e-2f57-4d1a-9d1e-" + name},
            {"resourceVersion", "42"},
            {"labels", {{"app.kubernetes.io/managed-by", "k8s-pod-headless-service-operator"}}},
            {"managedFields", {{{"manager", "k8s-pod-headless-service-operator"}}}}}},
          {"spec", {{"clusterIP", "None"}, {"ports", json::array()}}}};
}

json slice(const std::string& ns, const std::string& name, const std::string& service_name) {
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"labels", {{"kubernetes.io/service-name", service_name}}}}},
          {"addressType", "IPv4"},
          {"endpoints", {{{"addresses", {"10.0.0.7"}}, {"conditions", {{"ready", true}}}}}}};
}

json pod(const std::string& ns, const std::string& name, const std::string& asks) {
  using namespace std::chrono_literals;
  return test::PodBuilder(name)
      .in(ns)
      .uid("uid-" + name)
      .created(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1) + 12h)
      .annotated(kAnnotation, asks)
      .hostname(name)
      .running({"10.0.0.7"})
      .served();
}

TEST(PackedObjectTest, UnpacksWhatWasPackedWithoutManagedFields) {
  const json object = service("default", "web-0");
  const auto packed = PackedObject::pack(object);
  ASSERT_TRUE(packed.has_value());
  json expected = object;
  expected["metadata"].erase("managedFields");
  EXPECT_EQ(packed->unpack(), expected);
  EXPECT_LT(packed->size_bytes(), expected.dump().size());
}

TEST(PackedObjectTest, RejectsAnythingButAnObject) {
  EXPECT_FALSE(PackedObject::pack(json::array({1, 2})).has_value());
  EXPECT_FALSE(PackedObject::pack(json("text")).has_value());
  EXPECT_FALSE(PackedObject::pack(json()).has_value());
}

TEST(PackedObjectTest, EqualObjectsPackEqualAndAChangeDoesNot) {
  const json object = service("default", "web-0");
  EXPECT_EQ(PackedObject::pack(object), PackedObject::pack(object));
  json changed = object;
  changed["metadata"]["resourceVersion"] = "43";
  EXPECT_NE(PackedObject::pack(object), PackedObject::pack(changed));
  // managedFields alone is no change: the caches never look at it.
  json other_manager = object;
  other_manager["metadata"]["managedFields"][0]["manager"] = "kubectl";
  EXPECT_EQ(PackedObject::pack(object), PackedObject::pack(other_manager));
}

TEST(PackedObjectTest, PacksTheCommonStringsShortAndStaysLosslessForAnyString) {
  json object = service("default", "web-0");
  object["metadata"]["annotations"] = {
      {"odd", std::string("\0\x01", 2)},  // looks like a packed common string
      {std::string("\0lead", 5), std::string(1, '\0')},
      {"empty", ""},
      {"ClusterIP", "metadata"},  // common strings where others would not put them
      {"unicode", "h\u00e9"},
      {"uid", "0b6c1f8e-2f57-4d1a-9d1e-0123456789ab"},  // packed as 16 bytes
      {"upper-case uid", "0B6C1F8E-2F57-4D1A-9D1E-0123456789AB"},
      {"dashless uid", "0b6c1f8e2f574d1a9d1e0123456789abcdef"},
      {"marker", std::string("\0\xff", 2) + "0123456789abcdef"}};
  object["spec"]["type"] = "ClusterIP";
  const auto packed = PackedObject::pack(object);
  ASSERT_TRUE(packed.has_value());
  json expected = object;
  expected["metadata"].erase("managedFields");
  EXPECT_EQ(packed->unpack(), expected);
  EXPECT_LT(packed->size_bytes(), json::to_msgpack(expected).size() * 3 / 4);
}

TEST(PackedObjectTest, OnlyTheTopLevelMetadataLosesItsManagedFields) {
  json object = {{"metadata", {{"name", "x"}}},
                 {"spec", {{"managedFields", "not metadata's"}}},
                 {"managedFields", "not metadata's either"}};
  EXPECT_EQ(PackedObject::pack(object)->unpack(), object);
}

class CacheDirectoryTest : public ::testing::Test {
 protected:
  CacheDirectoryTest() {
    scopes_.push_back(make_scope_caches("team-a", kAnnotation, /*legacy_endpoints=*/false));
    scopes_.push_back(make_scope_caches("team-b", kAnnotation, /*legacy_endpoints=*/true));
  }
  ScopeCaches& scope(std::size_t i) { return *scopes_.at(i); }

  std::vector<std::unique_ptr<ScopeCaches>> scopes_;
};

TEST_F(CacheDirectoryTest, AnswersFromTheScopeOfTheNamespace) {
  scope(0).services->upsert(service("team-a", "web-0"));
  scope(1).services->upsert(service("team-b", "web-0"));
  CacheDirectory directory(scopes_);

  const auto found = directory.service("team-a", "web-0");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->at("metadata").at("namespace"), "team-a");
  EXPECT_FALSE(found->at("metadata").contains("managedFields"));
  // Only the fields the reconciler reads are kept (reconciler::plan::reconciled_fields).
  EXPECT_FALSE(found->contains("apiVersion"));
  EXPECT_EQ(found->at("spec").at("clusterIP"), "None");
  EXPECT_EQ(directory.service("team-c", "web-0"), nullptr);
  EXPECT_EQ(directory.service("team-a", "web-1"), nullptr);
  EXPECT_EQ(directory.endpoints("team-a", "web-0"), nullptr);  // no legacy Endpoints there
}

TEST_F(CacheDirectoryTest, FindsSlicesByTheirServiceAndPodsByTheNameTheyAskFor) {
  scope(0).endpoint_slices->upsert(slice("team-a", "web-0-ipv4", "web-0"));
  scope(0).endpoint_slices->upsert(slice("team-a", "web-0-ipv6", "web-0"));
  scope(0).endpoint_slices->upsert(slice("team-a", "web-1-ipv4", "web-1"));
  scope(0).pods->upsert(pod("team-a", "web-0", "true"));
  scope(0).pods->upsert(pod("team-a", "web-2", "false"));
  CacheDirectory directory(scopes_);

  const auto slices = directory.endpoint_slices("team-a", "web-0");
  ASSERT_THAT(slices, SizeIs(2));
  for (const auto& found : slices)
    EXPECT_EQ(found->at("metadata").at("labels").at("kubernetes.io/service-name"), "web-0");
  EXPECT_THAT(directory.endpoint_slices("team-b", "web-0"), IsEmpty());

  EXPECT_THAT(directory.pods_for("team-a", "web-0"), SizeIs(1));
  // A pod that does not ask is not even kept.
  EXPECT_THAT(directory.pods_for("team-a", "web-2"), IsEmpty());
  EXPECT_EQ(scope(0).pods->size(), 1U);
}

TEST_F(CacheDirectoryTest, FindsPodsByTheirSubdomain) {
  json member = pod("team-a", "web-0", "true");
  member["spec"]["subdomain"] = "s";
  json quiet = pod("team-a", "web-1", "false");
  quiet["spec"]["subdomain"] = "s";
  scope(0).pods->upsert(member);
  scope(0).pods->upsert(quiet);
  scope(0).pods->upsert(pod("team-a", "web-2", "true"));
  CacheDirectory directory(scopes_);
  const auto found = directory.pods_in_subdomain("team-a", "s");
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0]->name, "web-0");
  EXPECT_EQ(found[0]->spec_subdomain, "s");
  EXPECT_THAT(directory.pods_in_subdomain("team-b", "s"), IsEmpty());
  EXPECT_THAT(directory.pods_in_subdomain("team-c", "s"), IsEmpty());
}

TEST_F(CacheDirectoryTest, AnUnchangedObjectIsNotReportedAgain) {
  int updates = 0;
  scope(0).services->on_update([&updates](const std::string&, const ObjectStore::Ptr&,
                                          const ObjectStore::Ptr&) { ++updates; });
  json object = service("team-a", "web-0");
  scope(0).services->upsert(object);
  object["metadata"]["managedFields"][0]["manager"] = "kubectl";
  scope(0).services->upsert(object);
  EXPECT_EQ(updates, 0);
  object["metadata"]["resourceVersion"] = "43";
  scope(0).services->upsert(object);
  EXPECT_EQ(updates, 1);
}

TEST_F(CacheDirectoryTest, EachOwnedObjectKeepsTheKeyItReconcilesUnder) {
  scope(0).services->upsert(service("team-a", "web-0"));
  scope(0).endpoint_slices->upsert(slice("team-a", "web-0-ipv4", "web-0"));
  json unlabelled = slice("team-a", "stray", "web-0");
  unlabelled["metadata"].erase("labels");
  scope(0).endpoint_slices->upsert(unlabelled);
  scope(1).endpoints->upsert(service("team-b", "web-1"));

  EXPECT_EQ(scope(0).services->get("team-a/web-0")->reconcile_key, "team-a/web-0");
  EXPECT_EQ(scope(0).endpoint_slices->get("team-a/web-0-ipv4")->reconcile_key, "team-a/web-0");
  EXPECT_EQ(scope(0).endpoint_slices->get("team-a/stray")->reconcile_key, std::nullopt);
  EXPECT_EQ(scope(1).endpoints->get("team-b/web-1")->reconcile_key, "team-b/web-1");
  // A slice without its Service's label belongs to no key, so the index leaves it out.
  EXPECT_THAT(CacheDirectory(scopes_).endpoint_slices("team-a", "web-0"), SizeIs(1));
}

}  // namespace
}  // namespace hso::controller
