#include "hso/util/base64.hpp"

#include <gtest/gtest.h>

namespace hso {
namespace {

TEST(UtilBase64Test, EncodesWithPadding) {
  EXPECT_EQ(encode_base64(""), "");
  EXPECT_EQ(encode_base64("h"), "aA==");
  EXPECT_EQ(encode_base64("he"), "aGU=");
  EXPECT_EQ(encode_base64("hel"), "aGVs");
  EXPECT_EQ(encode_base64("hello"), "aGVsbG8=");
  EXPECT_EQ(encode_base64(std::string("\0\xff\xfe", 3)), "AP/+");
}

TEST(UtilBase64Test, DecodesWithOrWithoutPaddingAndAcrossLines) {
  EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(decode_base64("aGVs\nbG8=\n"), "hello");
  EXPECT_EQ(decode_base64(" aA== "), "h");
  EXPECT_EQ(decode_base64("aA"), "h");
  EXPECT_EQ(decode_base64("aGVs"), "hel");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("AP/+"), std::string("\0\xff\xfe", 3));
}

TEST(UtilBase64Test, RejectsMalformedText) {
  for (const char* bad : {"a", "aGVsbG8=x", "aGV*", "aG===", "aGVsb", "aG=", "=", "aGVs-A=="}) {
    EXPECT_FALSE(decode_base64(bad)) << bad;
  }
}

TEST(UtilBase64Test, RoundTripsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= bytes.size(); length += 37) {
    const std::string part = bytes.substr(0, length);
    EXPECT_EQ(decode_base64(encode_base64(part)), part) << length;
  }
}

}  // namespace
}  // namespace hso
