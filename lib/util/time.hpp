#pragma once

// UTC timestamps in RFC 3339 and calendar dates.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace complycli::util {

// Format a time point as RFC 3339 UTC with microseconds: 2026-11-25T20:45:18.123456Z.
std::string format_rfc3339(std::chrono::system_clock::time_point time);

// The current time as `format_rfc3339` writes it.
std::string now_rfc3339();

// Parse a calendar date YYYY-MM-DD (a real date: 2026-02-30 is rejected).
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);

// Format a date as YYYY-MM-DD.
std::string format_date(std::chrono::year_month_day date);

} // namespace complycli::util
