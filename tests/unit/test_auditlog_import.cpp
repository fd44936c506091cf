#include "auditlog/import.hpp"

#include <doctest/doctest.h>
#include <random>
#include <sstream>

using namespace complycli;
using namespace complycli::auditlog;

namespace {

// The details an import stores for `details`, parsed by RecordParser (the SAX path).
std::string imported_details(RecordParser &parser, const std::string &details)
{
  ImportBatch batch;
  const std::string line = R"({"action":"a","target":"t","details":)" + details + "}";
  auto parsed = parser.parse(line, 1, batch);
  INFO(details);
  REQUIRE(parsed);
  REQUIRE(batch.records.size() == 1);
  return std::string(batch.fields(batch.records[0], 1).details);
}

// What canonical_details() makes of the tree nlohmann's DOM parser builds (the reference).
std::string reference_details(const std::string &details)
{
  return canonical_details(nlohmann::json::parse(details)).value();
}

// A random JSON value: objects with keys from a small set (so duplicates and every order occur),
// arrays, strings with escapes and non-ASCII text, integers and floats of every kind.
std::string random_json(std::mt19937 &rng, int depth, bool object)
{
  static const char *keys[] = {
      "a", "b", "ab", "B", "\\u00e9", "\\u00e8", "z", "", " ", "a\\u0000", "\\ud83d\\ude00", "\\n", "aa"};
  static const char *scalars[] = {"null",
                                  "true",
                                  "false",
                                  "0",
                                  "-0",
                                  "-1",
                                  "1.5",
                                  "1e2",
                                  "1E-7",
                                  "-0.0",
                                  "0.1",
                                  "12345678901234567890",
                                  "-9223372036854775808",
                                  "3.141592653589793",
                                  "\"\"",
                                  "\"x\"",
                                  "\"tab\\tq\\\"b\\\\s\\/\"",
                                  "\"\\u00fc\\u4e2d\"",
                                  "\"\\u001f\"",
                                  "\"ümlaut ✓\"",
                                  "1.7976931348623157e308",
                                  "5e-324"};
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::string out = object ? "{" : "[";
  const std::size_t members = pick(6);
  for (std::size_t i = 0; i < members; ++i) {
    if (i > 0) {
      out += ',';
    }
    if (object) {
      out += '"';
      out += keys[pick(std::size(keys))];
      out += "\":";
    }
    const auto kind = depth < 4 ? pick(4) : 0;
    if (kind == 1) {
      out += random_json(rng, depth + 1, true);
    } else if (kind == 2) {
      out += random_json(rng, depth + 1, false);
    } else {
      out += scalars[pick(std::size(scalars))];
    }
  }
  out += object ? "}" : "]";
  return out;
}

} // namespace

TEST_CASE("auditlog::RecordParser details are what canonical_details writes")
{
  RecordParser parser("x", "actor", "2026-01-01T00:00:00.000000Z");

  SUBCASE("chosen objects")
  {
    for (const std::string details :
         {R"({})", R"({"a":1})", R"({"z":1,"a":2})",
          R"({"b":{"d":[1,2,{"y":null,"x":true}],"c":"s"},"a":[]})", R"({"k":1,"k":2})",
          R"({"k":{"a":1},"k":[3]})", R"({"a":{"b":1,"a":2,"b":3}})",
          R"({"u":"\u00e9\u4e2d\ud83d\ude00","e":"tab\tnl\n\"q\" \\ \/"})",
          R"({"f":1.5,"g":1e2,"h":-0.0,"i":1.0E-7,"j":12345678901234567890,"k":-9223372036854775808})",
          R"({"nested":{"deep":{"deeper":{"z":[[[]]],"a":{}}}}})", R"({"é":1,"e":2,"E":3,"~":4," ":5})",
          R"({"arr":[{"b":1,"a":2},{"d":3,"c":4}],"x":[true,false,null]})", R"( { "s" : "ümlaut ✓" } )"}) {
      CHECK(imported_details(parser, details) == reference_details(details));
    }
  }

  SUBCASE("random objects")
  {
    std::mt19937 rng(20261125);
    for (int i = 0; i < 2000; ++i) {
      const auto details = random_json(rng, 0, true);
      REQUIRE(imported_details(parser, details) == reference_details(details));
    }
  }

  SUBCASE("details given twice are an error; no details is {}")
  {
    ImportBatch batch;
    const auto twice = parser.parse(R"({"details":{"b":1},"action":"a","details":{"c":[2]},"target":"t"})", 1, batch);
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message == R"(x:1:1: duplicate field "details" (expected each field once))");
    REQUIRE(parser.parse(R"({"action":"a","target":"t"})", 2, batch));
    CHECK(batch.fields(batch.records[0], 2).details == "{}");
  }
  SUBCASE("a NUL byte, a field given twice and details nested too deeply are errors")
  {
    ImportBatch batch;
    const auto nul = parser.parse(std::string_view("{\"action\":\"a\",\0\"target\":\"t\"}", 29), 3, batch);
    REQUIRE_FALSE(nul);
    CHECK(nul.error().message == "x:3:15: a NUL byte (expected one JSON object a line, in UTF-8)");
    const auto dup = parser.parse(R"({"action":"a","target":"t","action":"b"})", 4, batch);
    REQUIRE_FALSE(dup);
    CHECK(dup.error().message == R"(x:4:1: duplicate field "action" (expected each field once))");
    const auto too_deep = parser.parse(R"({"action":"a","target":"t","details":{"x":)" + std::string(64, '[') +
                                           std::string(64, ']') + "}}",
                                       5, batch);
    REQUIRE_FALSE(too_deep);
    CHECK(too_deep.error().message == "x:5:1: details nested more than 64 levels deep (expected at most 64)");
    REQUIRE(parser.parse(R"({"action":"a","target":"t","details":{"x":)" + std::string(63, '[') +
                             std::string(63, ']') + "}}",
                         6, batch));
    CHECK(batch.records.size() == 1);
  }
}

TEST_CASE("auditlog::RecordParser fields, defaults and errors")
{
  RecordParser parser("in.jsonl", "carol", "2026-01-01T00:00:00.000000Z");
  ImportBatch batch;
  REQUIRE(parser.parse(
      R"({"seq":[1,{"a":2}],"hash":"x","action":"login","target":"web","time":"2026-02-03T04:05:06.5Z"})", 1,
      batch));
  REQUIRE(parser.parse(R"({"action":"a","target":"t","actor":"bob","outcome":"denied"})", 2, batch));
  const auto one = batch.fields(batch.records[0], 7);
  CHECK(one.seq == 7);
  CHECK(one.time == "2026-02-03T04:05:06.500000Z");
  CHECK(one.actor == "carol");
  CHECK(one.action == "login");
  CHECK(one.target == "web");
  CHECK(one.outcome == "ok");
  const auto two = batch.fields(batch.records[1], 8);
  CHECK(two.time == "2026-01-01T00:00:00.000000Z");
  CHECK(two.actor == "bob");
  CHECK(two.outcome == "denied");

  const std::pair<const char *, const char *> bad[] = {
      {R"([1])", "in.jsonl:5:1: expected a JSON object, found array"},
      {R"({"target":"t"})", "in.jsonl:5:1: action is missing"},
      {R"({"action":"a"})", "in.jsonl:5:1: target is missing"},
      {R"({"action":"a","target":"t","details":[]})", "in.jsonl:5:1: details must be a JSON object"},
      {R"({"action":"a","target":"t","seq":{"x":[}})", "in.jsonl:5:40: syntax error while parsing value"},
      {R"({"action":"a","target":"t","colour":"red"})", "in.jsonl:5:1: unknown field \"colour\""},
      {R"({"action":1,"target":"t"})", "in.jsonl:5:1: action must be a string, not number"},
  };
  for (const auto &[line, message] : bad) {
    INFO(line);
    auto parsed = parser.parse(line, 5, batch);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == Errc::parse);
    CHECK(parsed.error().message.starts_with(message));
  }
  CHECK(batch.records.size() == 2);
}

TEST_CASE("auditlog::BlockReader")
{
  // Read every block and split it into lines as the parser threads do.
  auto lines_of = [](std::istream &in, std::size_t block_size) {
    BlockReader reader(in, block_size);
    std::vector<std::string> lines;
    std::string block_text;
    int64_t index = 0;
    while (auto block = reader.next(block_text)) {
      CHECK(block->index == index++);
      CHECK(block->lines_before == static_cast<int64_t>(lines.size()));
      CHECK_FALSE(block->failed);
      if (!block->last) {
        CHECK(block_text.ends_with('\n'));
      }
      std::string_view rest = block_text;
      while (!rest.empty()) {
        const auto newline = rest.find('\n');
        lines.emplace_back(rest.substr(0, newline));
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
      }
      if (block->last) {
        break;
      }
    }
    CHECK_FALSE(reader.next(block_text));
    return lines;
  };

  SUBCASE("whole lines, a last line without a newline, lines longer than a block")
  {
    const std::string long_line(100, 'x');
    std::stringstream in("one\n\ntwo\r\n" + long_line + "\nlast");
    CHECK(lines_of(in, 8) == std::vector<std::string>{"one", "", "two\r", long_line, "last"});
  }
  SUBCASE("a final newline ends the last line; many blocks")
  {
    std::string text;
    std::vector<std::string> expected;
    for (int i = 0; i < 1000; ++i) {
      expected.push_back(std::to_string(i * 7919));
      text += expected.back() + "\n";
    }
    std::stringstream in(text);
    CHECK(lines_of(in, 64) == expected);
  }
  SUBCASE("empty input")
  {
    std::stringstream in;
    CHECK(lines_of(in, 64).empty());
  }
  SUBCASE("stop hands out no more blocks")
  {
    std::stringstream in("a\nb\nc\n");
    BlockReader reader(in, 2);
    std::string block;
    REQUIRE(reader.next(block));
    reader.stop();
    CHECK_FALSE(reader.next(block));
  }
}
