#include "core/error.hpp"
#include "core/output.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <doctest/doctest.h>

using namespace complycli;

TEST_CASE("util::hex")
{
  const std::vector<uint8_t> bytes{0x00, 0x7f, 0xab, 0xff};
  CHECK(util::to_hex(bytes) == "007fabff");
  CHECK(util::from_hex("007FABff").value() == bytes);
  CHECK_FALSE(util::from_hex("abc"));
  CHECK_FALSE(util::from_hex("zz"));
}

TEST_CASE("util::time")
{
  using namespace std::chrono;
  const auto t = sys_days{2026y / November / 25} + 20h + 45min + 18s + 123456us;
  CHECK(util::format_rfc3339(t) == "2026-11-25T20:45:18.123456Z");
  CHECK(util::parse_date("2024-02-29"));
  CHECK_FALSE(util::parse_date("2026-02-29"));
  CHECK_FALSE(util::parse_date("2026-13-01"));
  CHECK_FALSE(util::parse_date("26-1-1"));
  CHECK(util::format_date(util::parse_date("2026-01-05").value()) == "2026-01-05");
}

TEST_CASE("core::error exit statuses")
{
  CHECK(exit_status(Errc::check_failed) == 1);
  CHECK(exit_status(Errc::auth_failed) == 1);
  CHECK(exit_status(Errc::chain_broken) == 1);
  CHECK(exit_status(Errc::usage) == 2);
  CHECK(exit_status(Errc::parse) == 2);
  CHECK(exit_status(Errc::config) == 2);
  CHECK(exit_status(Errc::io) == 3);
  CHECK(exit_status(Errc::internal) == 4);
  CHECK(exit_status(Errc::interrupted) == 130);
}

namespace {
Result<int> half(int x)
{
  if (x % 2 != 0) {
    return fail(Errc::usage, "{} is odd", x);
  }
  return x / 2;
}
Result<int> quarter(int x)
{
  const int h = TRY(half(x));
  return TRY(half(h));
}
} // namespace

TEST_CASE("TRY passes errors up")
{
  CHECK(quarter(8).value() == 2);
  REQUIRE_FALSE(quarter(6));
  CHECK(quarter(6).error().message == "3 is odd");
}

TEST_CASE("core::Table")
{
  core::Table table({"name", "size"});
  table.add_row({"résumé", "1"});
  table.add_row({"a", "1000"});
  CHECK(table.render(false) == "name    size\nrésumé  1\na       1000\n");
  CHECK(table.render(true).find("\033[1m") != std::string::npos);
}
