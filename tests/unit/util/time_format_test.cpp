#include "hso/util/time_format.hpp"

#include <gtest/gtest.h>

namespace hso {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

TEST(UtilTimeFormatTest, ParsesRfc3339WithFractionsAndOffsets) {
  const system_clock::time_point base = std::chrono::sys_days(std::chrono::year(2024) / 2 / 29);
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), base);
  EXPECT_EQ(parse_rfc3339("2024-02-29t00:00:00z"), base);
  EXPECT_EQ(parse_rfc3339("2024-02-29T01:02:03.123456Z"), base + 1h + 2min + 3s);
  EXPECT_EQ(parse_rfc3339("2024-02-29T02:00:00+02:00"), base);
  EXPECT_EQ(parse_rfc3339("2024-02-28T22:30:00-01:30"), base);
  EXPECT_EQ(system_clock::to_time_t(*parse_rfc3339("1970-01-01T01:00:10.123+01:00")), 10);
}

TEST(UtilTimeFormatTest, RejectsWhatIsNotRfc3339OrNotADate) {
  for (const char* bad :
       {"", "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-02-29 00:00:00Z",
        "2024-02-29T00:00:00", "2024-02-29T24:00:00Z", "2024-02-29T00:60:00Z",
        "2024-02-29T00:00:00.Z", "2024-0a-29T00:00:00Z", "2024-02-29T00:00:00+0200",
        "2024-02-29T00:00:00Zjunk", "2024-02-29T00:00:00+02:00:00"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

TEST(UtilTimeFormatTest, TimesPastTheClockRangeSaturate) {
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59Z"), system_clock::time_point::max());
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z"), system_clock::time_point::min());
  EXPECT_EQ(system_clock::to_time_t(*parse_rfc3339("2262-01-01T00:00:00Z")), 9'214'646'400);
}

TEST(UtilTimeFormatTest, FormatsWholeSecondsInUtc) {
  using std::chrono::sys_days;
  EXPECT_EQ(format_rfc3339(std::chrono::sys_seconds{std::chrono::seconds(1'700'000'000)}),
            "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_rfc3339(sys_days(std::chrono::year(2024) / 2 / 29) + std::chrono::hours(23) +
                           std::chrono::seconds(59)),
            "2024-02-29T23:00:59Z");
}

TEST(UtilTimeFormatTest, FormatsMicroTimeInUtc) {
  const system_clock::time_point time{std::chrono::microseconds(1'700'000'000'123'456)};
  EXPECT_EQ(format_micro_time(time), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(format_micro_time(system_clock::time_point{std::chrono::microseconds(5)}),
            "1970-01-01T00:00:00.000005Z");
  EXPECT_EQ(format_micro_time(system_clock::time_point{-std::chrono::microseconds(1)}),
            "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(parse_rfc3339(format_micro_time(time)), std::chrono::floor<std::chrono::seconds>(time));
}

}  // namespace
}  // namespace hso
