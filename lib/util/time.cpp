#include "util/time.hpp"

#include <fmt/format.h>

#include <charconv>

namespace complycli::util {

using namespace std::chrono;

std::string format_rfc3339(system_clock::time_point time)
{
  const auto micros = time_point_cast<microseconds>(time);
  const auto day = floor<days>(micros);
  const year_month_day date{day};
  const hh_mm_ss clock{micros - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

std::string now_rfc3339()
{
  return format_rfc3339(system_clock::now());
}

namespace {

std::optional<int> parse_number(std::string_view text)
{
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

} // namespace

std::optional<year_month_day> parse_date(std::string_view text)
{
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  const auto y = parse_number(text.substr(0, 4));
  const auto m = parse_number(text.substr(5, 2));
  const auto d = parse_number(text.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *d < 1) {
    return std::nullopt;
  }
  const year_month_day date{year{*y}, month{static_cast<unsigned>(*m)}, day{static_cast<unsigned>(*d)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return date;
}

std::string format_date(year_month_day date)
{
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()));
}

} // namespace complycli::util
