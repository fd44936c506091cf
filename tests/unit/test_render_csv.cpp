#include "render/csv.hpp"

#include <doctest/doctest.h>

using namespace complycli;

TEST_CASE("render::parse_csv")
{
  SUBCASE("quoted fields hold commas, doubled quotes and line breaks; CRLF and a BOM are fine")
  {
    auto rows = render::parse_csv("\xEF\xBB\xBFid,question\r\nA-1,\"Is it \"\"on\"\", really?\"\r\nA-2,\"two\nlines\"\n\nA-3,\n",
                                  "q.csv");
    REQUIRE(rows);
    REQUIRE(rows->size() == 4);
    CHECK((*rows)[1].fields == std::vector<std::string>{"A-1", "Is it \"on\", really?"});
    CHECK((*rows)[2].fields == std::vector<std::string>{"A-2", "two\nlines"});
    CHECK((*rows)[2].line == 3);
    CHECK((*rows)[3].fields == std::vector<std::string>{"A-3", ""});
    CHECK((*rows)[3].line == 6);
    CHECK((*rows)[3].row == 4);
  }

  SUBCASE("broken quoting names the row")
  {
    auto unclosed = render::parse_csv("id,question\nA-1,ok\nA-2,\"never closed\nA-3,x\n", "q.csv");
    REQUIRE_FALSE(unclosed);
    CHECK(unclosed.error().code == Errc::parse);
    CHECK(unclosed.error().message == "q.csv:3: row 3: a quoted field opened on line 3 is never closed");
    auto after = render::parse_csv("id,question\nA-1,\"quoted\" then text\n", "q.csv");
    REQUIRE_FALSE(after);
    CHECK(after.error().message == "q.csv:2: row 2: unexpected text after a closing quote");
    auto stray = render::parse_csv("id,question\nA-1,say \"hi\"\n", "q.csv");
    REQUIRE_FALSE(stray);
    CHECK(stray.error().message == "q.csv:2: row 2: a quote inside an unquoted field");
  }
}

TEST_CASE("render::csv_field")
{
  CHECK(render::csv_field("plain") == "plain");
  CHECK(render::csv_field("a, b") == "\"a, b\"");
  CHECK(render::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(render::csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(render::csv_field("") == "");
  auto round = render::parse_csv(render::csv_field("x, \"y\"\nz") + "\n", "t");
  REQUIRE(round);
  CHECK((*round)[0].fields[0] == "x, \"y\"\nz");
}

TEST_CASE("render::parse_csv rejects text that is not UTF-8")
{
  const auto rows = render::parse_csv("id,question\nA-1,caf\xE9?\n", "q.csv");
  REQUIRE_FALSE(rows);
  CHECK(rows.error().code == complycli::Errc::parse);
  CHECK(rows.error().message.starts_with("q.csv:2:8: not a CSV file: byte 0xE9 is not UTF-8"));
}
