#include "hso/config/duration.hpp"

#include <gtest/gtest.h>

namespace hso::config {
namespace {

using namespace std::chrono_literals;

TEST(DurationTest, ParsesGoStyleDurations) {
  EXPECT_EQ(parse_duration("15s"), 15s);
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("2h"), 7200s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("0"), 0ms);
}

TEST(DurationTest, RejectsMalformedText) {
  for (const char* text : {"", "s", "15", "15x", "-1s", "1..5s", "abc", "1s junk", "."}) {
    EXPECT_FALSE(parse_duration(text)) << text;
  }
}

TEST(DurationTest, Formats) {
  EXPECT_EQ(format_duration(15s), "15s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
}

}  // namespace
}  // namespace hso::config
