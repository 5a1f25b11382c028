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

// Found by fuzzing: a number too large for a double ended the process (std::out_of_range).
TEST(DurationTest, RejectsOutOfRangeValuesAsSuch) {
  const std::string huge = std::string(400, '3') + "s";
  for (const std::string& text :
       {huge, std::string("2147483648s"), std::string("2147483647s1ns"), std::string("24856d"),
        std::string("99999999999999999999h"), std::string("596524h1m")}) {
    DurationError error = DurationError::kMalformed;
    EXPECT_FALSE(parse_duration(text, &error)) << text;
    EXPECT_EQ(error, DurationError::kOutOfRange) << text;
  }
}

TEST(DurationTest, AcceptsUpToTheLimit) {
  EXPECT_EQ(parse_duration("2147483647s"), kMaxDuration);
  EXPECT_EQ(parse_duration("596523h14m7s"), kMaxDuration);
  // The longest converts to nanoseconds, takes 20 % jitter and is added to a clock's now()
  // without overflow (UBSan would stop the test).
  const std::chrono::nanoseconds longest = kMaxDuration;
  EXPECT_GT((std::chrono::system_clock::now() + longest + longest / 5).time_since_epoch().count(),
            0);
  EXPECT_GT((std::chrono::steady_clock::now() + longest + longest / 5).time_since_epoch().count(),
            0);
}

TEST(DurationTest, MalformedWinsOverOutOfRange) {
  DurationError error = DurationError::kOutOfRange;
  EXPECT_FALSE(parse_duration(std::string(400, '9') + "s junk", &error));
  EXPECT_EQ(error, DurationError::kMalformed);
}

TEST(DurationTest, RoundsToMilliseconds) {
  EXPECT_EQ(parse_duration("1.9999999999999999999999999s"), 2s);
  EXPECT_EQ(parse_duration("1500us"), 2ms);
  EXPECT_EQ(parse_duration("1499us"), 1ms);
  EXPECT_EQ(parse_duration(".5m"), 30s);
  EXPECT_EQ(parse_duration("1.5d"), 36h);
}

TEST(DurationTest, Formats) {
  EXPECT_EQ(format_duration(15s), "15s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
}

}  // namespace
}  // namespace hso::config
