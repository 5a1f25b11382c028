#include "hso/util/time_format.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <ctime>

namespace hso {
namespace {

bool digits_at(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size())
    return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

// The "Z", "+HH:MM" or "-HH:MM" that ends the text; nullopt when anything else is there.
std::optional<std::chrono::minutes> parse_offset(std::string_view rest) {
  if (rest == "Z" || rest == "z")
    return std::chrono::minutes{0};
  int hours = 0;
  int minutes = 0;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' ||
      !digits_at(rest, 1, 2, hours) || !digits_at(rest, 4, 2, minutes)) {
    return std::nullopt;
  }
  const std::chrono::minutes offset = std::chrono::hours(hours) + std::chrono::minutes(minutes);
  return rest[0] == '-' ? -offset : offset;
}

std::chrono::system_clock::time_point saturating(std::chrono::sys_seconds time) {
  using std::chrono::system_clock;
  constexpr auto kLatest = std::chrono::floor<std::chrono::seconds>(system_clock::duration::max());
  constexpr auto kEarliest = std::chrono::ceil<std::chrono::seconds>(system_clock::duration::min());
  if (time.time_since_epoch() >= kLatest)
    return system_clock::time_point::max();
  if (time.time_since_epoch() <= kEarliest)
    return system_clock::time_point::min();
  return system_clock::time_point(time);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !digits_at(text, 0, 4, year) || text[4] != '-' ||
      !digits_at(text, 5, 2, month) || text[7] != '-' || !digits_at(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !digits_at(text, 11, 2, hour) || text[13] != ':' ||
      !digits_at(text, 14, 2, minute) || text[16] != ':' || !digits_at(text, 17, 2, second)) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    std::size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
      ++digits;
    if (digits == 1)
      return std::nullopt;
    rest.remove_prefix(digits);
  }
  const auto offset = parse_offset(rest);
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!offset || !date.ok() || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  return saturating(std::chrono::sys_days(date) + std::chrono::hours(hour) +
                    std::chrono::minutes(minute) + std::chrono::seconds(second) - *offset);
}

std::string format_rfc3339(std::chrono::sys_seconds time) {
  const auto seconds = static_cast<std::time_t>(time.time_since_epoch().count());
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string format_micro_time(std::chrono::system_clock::time_point time) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(micros / 1'000'000);
  auto fraction = micros % 1'000'000;
  if (fraction < 0) {  // before 1970: the fraction counts forward from the earlier second
    fraction += 1'000'000;
    --seconds;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
}

}  // namespace hso
