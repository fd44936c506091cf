// UTF-8 validation: what nlohmann_json accepts when it writes JSON, and where the first bad byte is.

#include "util/utf8.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace complycli;

TEST_CASE("util::find_invalid_utf8")
{
  CHECK_FALSE(util::find_invalid_utf8(""));
  CHECK_FALSE(util::find_invalid_utf8("plain ASCII\n"));
  CHECK_FALSE(util::find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x92 \xF4\x8F\xBF\xBF")); // é € 🔒 U+10FFFF

  const auto problem = util::find_invalid_utf8("line one\nab\xE9z\n");
  REQUIRE(problem);
  CHECK(problem->offset == 11);
  CHECK(problem->line == 2);
  CHECK(problem->column == 3);
  CHECK(problem->byte == 0xE9);
  CHECK(problem->message() == "not UTF-8 text (byte 0xE9)");

  // Each of these is rejected by nlohmann_json's dump() too: the validator must not let one through.
  for (const std::string bad : {"\x80", "\xBF", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                                "\xF0\x80\x80\xAF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xC3",
                                "\xE2\x82", "\xF0\x9F\x94", "\xC3\x28", "\xE2\x28\xA1"}) {
    CAPTURE(bad);
    CHECK(util::find_invalid_utf8(bad));
    CHECK_THROWS_AS((void)nlohmann::json(bad).dump(), nlohmann::json::type_error);
  }
}

TEST_CASE("util::check_utf8 names the file, line and column")
{
  CHECK(util::check_utf8("ok", "a.yaml"));
  const auto result = util::check_utf8("a: 1\nb: \xFF\n", "a.yaml");
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::parse);
  CHECK(result.error().message == "a.yaml:2:4: not UTF-8 text (byte 0xFF)");
}
