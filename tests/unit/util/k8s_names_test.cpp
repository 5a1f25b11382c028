#include "hso/util/k8s_names.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hso {
namespace {

TEST(K8sNamesTest, Dns1035Label) {
  EXPECT_TRUE(is_dns1035_label("web-0"));
  EXPECT_TRUE(is_dns1035_label("a"));
  EXPECT_TRUE(is_dns1035_label(std::string(63, 'a')));
  EXPECT_FALSE(is_dns1035_label(std::string(64, 'a')));
  EXPECT_FALSE(is_dns1035_label("0web"));
  EXPECT_FALSE(is_dns1035_label("web.0"));
  EXPECT_FALSE(is_dns1035_label("web-"));
  EXPECT_FALSE(is_dns1035_label("Web"));
  EXPECT_FALSE(is_dns1035_label(""));
}

TEST(K8sNamesTest, Dns1123LabelAllowsLeadingDigit) {
  EXPECT_TRUE(is_dns1123_label("0web"));
  EXPECT_FALSE(is_dns1123_label("-web"));
  EXPECT_FALSE(is_dns1123_label("a_b"));
}

TEST(K8sNamesTest, Dns1123Subdomain) {
  EXPECT_TRUE(is_dns1123_subdomain("web.example-1.com"));
  EXPECT_TRUE(is_dns1123_subdomain("0.1"));
  EXPECT_FALSE(is_dns1123_subdomain("web..com"));
  EXPECT_FALSE(is_dns1123_subdomain(".web"));
  EXPECT_FALSE(is_dns1123_subdomain("web."));
  EXPECT_FALSE(is_dns1123_subdomain(std::string(254, 'a')));
}

TEST(K8sNamesTest, QualifiedName) {
  EXPECT_TRUE(is_qualified_name("srcd.host/create-headless-service"));
  EXPECT_TRUE(is_qualified_name("plain_Key.1"));
  EXPECT_FALSE(is_qualified_name("Bad.Prefix/key"));
  EXPECT_FALSE(is_qualified_name("prefix/"));
  EXPECT_FALSE(is_qualified_name("/key"));
  EXPECT_FALSE(is_qualified_name("key-"));
  EXPECT_FALSE(is_qualified_name("a/b/c"));
  EXPECT_FALSE(is_qualified_name("with space"));
}

}  // namespace
}  // namespace hso
