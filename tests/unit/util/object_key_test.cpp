#include "hso/util/object_key.hpp"

#include <gtest/gtest.h>

#include "hso/util/json_access.hpp"

namespace hso {
namespace {

using nlohmann::json;

TEST(UtilObjectKeyTest, JoinsNamespaceAndName) {
  EXPECT_EQ(object_key("ns", "web-0"), "ns/web-0");
  EXPECT_EQ(object_key("", "node-a"), "node-a");  // cluster-scoped
  EXPECT_EQ((ObjectKey{"ns", "web-0"}).str(), "ns/web-0");
}

TEST(UtilObjectKeyTest, ParsesNamespacedKeysOnly) {
  EXPECT_EQ(ObjectKey::parse("ns/web-0"), (ObjectKey{"ns", "web-0"}));
  for (const char* bad : {"", "ns", "/web", "ns/", "a/b/c"})
    EXPECT_FALSE(ObjectKey::parse(bad)) << bad;
}

TEST(UtilObjectKeyTest, ReadsTheKeyOfAnObject) {
  EXPECT_EQ(ObjectKey::of(json::parse(R"({"metadata": {"namespace": "ns", "name": "a"}})")),
            (ObjectKey{"ns", "a"}));
  EXPECT_EQ(ObjectKey::of(json::parse(R"({"metadata": {"name": "n"}})")), (ObjectKey{"", "n"}));
  EXPECT_FALSE(ObjectKey::of(json::parse(R"({"metadata": {"namespace": "ns"}})")));
  EXPECT_FALSE(ObjectKey::of(json::parse(R"({"metadata": {"name": 3}})")));
  EXPECT_FALSE(ObjectKey::of(json::array()));
}

TEST(UtilJsonAccessTest, MetadataReadsAreLenient) {
  const json object = json::parse(R"({"metadata": {"uid": "u", "resourceVersion": "7",
      "generation": 2, "labels": {"a": "b"}}})");
  EXPECT_EQ(metadata_string(object, "uid"), "u");
  EXPECT_EQ(metadata_string_view(object, "resourceVersion"), "7");
  EXPECT_EQ(metadata_string(object, "generation"), "");  // not a string
  EXPECT_EQ(metadata_string(object, "name"), "");
  EXPECT_EQ(metadata_child(object, "labels"), json::parse(R"({"a": "b"})"));
  EXPECT_TRUE(metadata_child(object, "deletionTimestamp").is_null());
  for (const json& odd : {json(), json::array(), json::parse(R"({"metadata": "x"})")}) {
    EXPECT_EQ(metadata_string(odd, "uid"), "");
    EXPECT_TRUE(metadata_child(odd, "labels").is_null());
  }
}

}  // namespace
}  // namespace hso
