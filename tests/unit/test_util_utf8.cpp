// UTF-8 validation: where text stops being UTF-8, what nlohmann_json would refuse, and the messages.

#include "util/utf8.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

using namespace complycli;

TEST_CASE("text that is not UTF-8: where, and what was expected")
{
  CHECK_FALSE(util::text_problem("plain\nütf-8 ✓\n").has_value());
  const auto latin1 = util::text_problem("line one\nna\xefve\n");
  REQUIRE(latin1);
  CHECK(latin1->line == 2);
  CHECK(latin1->column == 3);
  CHECK(latin1->message.find("byte 0xEF is not UTF-8 (expected UTF-8 text") == 0);
  const auto nul = util::text_problem(std::string("ab\0c", 4));
  REQUIRE(nul);
  CHECK(nul->column == 3);
  CHECK(nul->message.find("a NUL byte") == 0);
  CHECK(util::text_problem("\xed\xa0\x80").has_value());     // a UTF-16 surrogate
  CHECK(util::text_problem("\xc0\xaf").has_value());         // an overlong form
  CHECK(util::text_problem("\xf4\x90\x80\x80").has_value()); // above U+10FFFF
  CHECK(util::to_valid_utf8("a\xffz") == "a\xef\xbf\xbdz");
}

TEST_CASE("util::text_problem lets nothing through that nlohmann_json refuses")
{
  CHECK_FALSE(util::text_problem(""));
  CHECK_FALSE(util::text_problem("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x92 \xF4\x8F\xBF\xBF")); // é € 🔒 U+10FFFF
  // Each of these is rejected by nlohmann_json's dump() too: the validator must not let one through.
  for (const std::string bad : {"\x80", "\xBF", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                                "\xF0\x80\x80\xAF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xC3",
                                "\xE2\x82", "\xF0\x9F\x94", "\xC3\x28", "\xE2\x28\xA1"}) {
    CAPTURE(bad);
    CHECK(util::text_problem(bad));
    CHECK(util::invalid_utf8_offset(bad) == 0);
    CHECK_THROWS_AS((void)nlohmann::json(bad).dump(), nlohmann::json::type_error);
  }
}

TEST_CASE("util::check_utf8 names the file, line and column")
{
  CHECK(util::check_utf8("ok", "a.yaml"));
  const auto result = util::check_utf8("a: 1\nb: \xFF\n", "a.yaml");
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::parse);
  CHECK(result.error().message.starts_with("a.yaml:2:4: byte 0xFF is not UTF-8 (expected UTF-8 text"));
}
