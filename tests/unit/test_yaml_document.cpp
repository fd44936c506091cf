#include "yaml/document.hpp"
#include "yaml/node.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace complycli;
using nlohmann::json;

namespace {

// The JSON value of `text` as the value of key `v`.
json value_of(const std::string& text)
{
  auto doc = yaml::parse("v: " + text + "\n", "t.yaml");
  REQUIRE_MESSAGE(doc, (doc ? "" : doc.error().message));
  return (*doc)["v"];
}

// The error message for `text`, or "" when it parses.
std::string error_of(const std::string& text)
{
  auto doc = yaml::parse(text, "t.yaml");
  return doc ? "" : doc.error().message;
}

} // namespace

TEST_CASE("plain scalars are typed by the YAML 1.2 core schema")
{
  // null
  CHECK(value_of("~") == json(nullptr));
  CHECK(value_of("null") == json(nullptr));
  CHECK(value_of("Null") == json(nullptr));
  CHECK(value_of("NULL") == json(nullptr));
  CHECK(value_of("") == json(nullptr));
  // booleans
  CHECK(value_of("true") == json(true));
  CHECK(value_of("True") == json(true));
  CHECK(value_of("TRUE") == json(true));
  CHECK(value_of("false") == json(false));
  CHECK(value_of("False") == json(false));
  CHECK(value_of("FALSE") == json(false));
  // YAML 1.1 booleans are strings in YAML 1.2
  CHECK(value_of("yes") == json("yes"));
  CHECK(value_of("no") == json("no"));
  CHECK(value_of("on") == json("on"));
  CHECK(value_of("off") == json("off"));
  CHECK(value_of("y") == json("y"));
  CHECK(value_of("tRUE") == json("tRUE"));
  // integers
  CHECK(value_of("0") == json(0));
  CHECK(value_of("42") == json(42));
  CHECK(value_of("-17") == json(-17));
  CHECK(value_of("+7") == json(7));
  CHECK(value_of("007") == json(7));
  CHECK(value_of("0o17") == json(15));
  CHECK(value_of("0x1F") == json(31));
  CHECK(value_of("9223372036854775807") == json(9223372036854775807LL));
  CHECK(value_of("42").is_number_integer());
  // floats
  CHECK(value_of("1.5") == json(1.5));
  CHECK(value_of("-0.25") == json(-0.25));
  CHECK(value_of(".5") == json(0.5));
  CHECK(value_of("1.") == json(1.0));
  CHECK(value_of("1e3") == json(1000.0));
  CHECK(value_of("2.5E-3") == json(0.0025));
  CHECK(value_of("1e3").is_number_float());
  // strings
  CHECK(value_of("hello world") == json("hello world"));
  CHECK(value_of("2026-11-26") == json("2026-11-26"));
  CHECK(value_of("1.2.3") == json("1.2.3"));
  CHECK(value_of("0x") == json("0x"));
  CHECK(value_of("0o8") == json("0o8"));
  CHECK(value_of("1_000") == json("1_000"));
  CHECK(value_of("12:30") == json("12:30"));
  CHECK(value_of("-x") == json("-x"));
}

TEST_CASE("quoted and tagged scalars")
{
  CHECK(value_of("\"1.2\"") == json("1.2"));
  CHECK(value_of("'42'") == json("42"));
  CHECK(value_of("\"true\"") == json("true"));
  CHECK(value_of("\"\"") == json(""));
  CHECK(value_of("'~'") == json("~"));
  CHECK(value_of("!!str 42") == json("42"));
  CHECK(value_of("!Ref 42") == json("42")); // a local tag: the text
  CHECK(value_of("! 42") == json("42"));
  CHECK(value_of("!!int 42") == json(42));
  CHECK(value_of("!!float 1") == json(1.0));
  CHECK(value_of("!!bool true") == json(true));
  CHECK(value_of("!!null ~") == json(nullptr));
  CHECK(error_of("v: !!int abc\n") == "t.yaml:1:4: \"abc\" is not a int (it is tagged !!int)");
}

TEST_CASE("numbers JSON cannot hold are errors, not silent strings or nulls")
{
  CHECK(error_of("v: 9223372036854775808\n") ==
        "t.yaml:1:4: the integer 9223372036854775808 does not fit in 64 bits (quote it if it is text)");
  CHECK(error_of("v: 1e999\n").starts_with("t.yaml:1:4: the number 1e999 has no JSON form"));
  CHECK(error_of("v: .inf\n").starts_with("t.yaml:1:4: the number .inf has no JSON form"));
  CHECK(error_of("v: -.Inf\n").starts_with("t.yaml:1:4: the number -.Inf has no JSON form"));
  CHECK(error_of("v: .NaN\n").starts_with("t.yaml:1:4: the number .NaN has no JSON form"));
  CHECK(value_of("'.inf'") == json(".inf"));
}

TEST_CASE("plain_type and scalar_type")
{
  CHECK(yaml::plain_type("~") == yaml::Type::null);
  CHECK(yaml::plain_type("FALSE") == yaml::Type::boolean);
  CHECK(yaml::plain_type("0x10") == yaml::Type::integer);
  CHECK(yaml::plain_type(".nan") == yaml::Type::real);
  CHECK(yaml::plain_type("off") == yaml::Type::string);
  auto node = yaml::load_node("a: 12\nb: '12'\nc: !!str 12\nd: !!int 12\n", "t.yaml");
  REQUIRE(node);
  CHECK(yaml::scalar_type((*node)["a"]) == yaml::Type::integer);
  CHECK(yaml::scalar_type((*node)["b"]) == yaml::Type::string);
  CHECK(yaml::scalar_type((*node)["c"]) == yaml::Type::string);
  CHECK(yaml::scalar_type((*node)["d"]) == yaml::Type::integer);
}

TEST_CASE("nesting, and JSON is YAML")
{
  auto doc = yaml::parse("a:\n  b: [1, two, {c: null}]\n  d: {}\ne: []\n", "t.yaml");
  REQUIRE(doc);
  CHECK(*doc == json::parse(R"({"a": {"b": [1, "two", {"c": null}], "d": {}}, "e": []})"));
  auto from_json = yaml::parse(R"({"a": {"b": [1, "two", {"c": null}], "d": {}}, "e": []})", "t.json");
  REQUIRE(from_json);
  CHECK(*from_json == *doc);
  // Anchors and aliases copy the anchored value.
  auto aliased = yaml::parse("base: &b {x: 1}\ncopy: *b\n", "t.yaml");
  REQUIRE(aliased);
  CHECK((*aliased)["copy"] == json::parse(R"({"x": 1})"));
}

TEST_CASE("an empty document is null")
{
  for (const char* text : {"", "\n", "# only a comment\n", "---\n", "--- ~\n"}) {
    CAPTURE(text);
    auto doc = yaml::parse(text, "t.yaml");
    REQUIRE(doc);
    CHECK(doc->is_null());
  }
  auto node = yaml::load_node("", "t.yaml");
  REQUIRE(node);
  CHECK(node->IsNull());
}

TEST_CASE("syntax errors name name:line:column")
{
  auto doc = yaml::parse("a: 1\nb: [1, 2\n", "conf/t.yaml");
  REQUIRE_FALSE(doc);
  CHECK(doc.error().code == Errc::parse);
  CHECK(doc.error().message == "conf/t.yaml:3:1: end of sequence flow not found");
  CHECK(error_of("a: 1\n b: 2\n") == "t.yaml:2:3: illegal map value");
  CHECK(error_of("a: *nowhere\n") == "t.yaml:1:4: the referenced anchor is not defined");
  // A prefix for callers that say what the file should have been.
  auto node = yaml::load_node("a: [\n", "p.yaml", "not valid YAML or JSON: ");
  REQUIRE_FALSE(node);
  CHECK(node.error().message == "p.yaml:2:1: not valid YAML or JSON: end of sequence flow not found");
}

TEST_CASE("text that is not UTF-8 is an error with its position")
{
  CHECK(error_of("a: 1\nb: caf\xE9\n").starts_with("t.yaml:2:7: byte 0xE9 is not UTF-8"));
  CHECK(error_of(std::string("a: x\0y\n", 7)).starts_with("t.yaml:1:5: a NUL byte"));
  // UTF-16 with a byte-order mark is read (yaml-cpp converts it).
  const std::string utf16le("\xFF\xFE" "a\0:\0 \0" "1\0\n\0", 12);
  auto doc = yaml::parse(utf16le, "t.yaml");
  REQUIRE_MESSAGE(doc, (doc ? "" : doc.error().message));
  CHECK(*doc == json::parse(R"({"a": 1})"));
}

TEST_CASE("duplicate keys are errors: a security tool does not silently take the last")
{
  CHECK(error_of("a: 1\nb: 2\na: 3\n") == "t.yaml:3:1: duplicate key \"a\" (already given on line 1; expected each key once)");
  CHECK(error_of("outer:\n  x: 1\n  x: 2\n") ==
        "t.yaml:3:3: duplicate key \"x\" (already given on line 2; expected each key once)");
  CHECK(error_of("{\"a\": 1, \"a\": 2}") == "t.yaml:1:10: duplicate key \"a\" (already given on line 1; expected each key once)");
  // The same key in two mappings is fine.
  CHECK(error_of("- a: 1\n- a: 2\n").empty());
}

TEST_CASE("load_node refuses a key given twice at any depth, unless the caller reports it")
{
  const std::string text = "a:\n  - b: 1\n    c: 2\n    b: 3\n";
  auto node = yaml::load_node(text, "t.yaml");
  REQUIRE_FALSE(node);
  CHECK(node.error().message == "t.yaml:4:5: duplicate key \"b\" (already given on line 2; expected each key once)");
  auto left = yaml::load_node(text, "t.yaml", {}, yaml::DuplicateKeys::leave);
  REQUIRE(left);
  CHECK((*left)["a"][0].size() == 3);
  // The same message as parse().
  CHECK(error_of(text) == node.error().message);
}

TEST_CASE("keys are text; list and mapping keys, merge keys and second documents are errors")
{
  auto doc = yaml::parse("1: one\ntrue: yes\n'~': tilde\n", "t.yaml");
  REQUIRE_MESSAGE(doc, (doc ? "" : doc.error().message));
  CHECK(*doc == json::parse(R"({"1": "one", "true": "yes", "~": "tilde"})"));
  CHECK(error_of("a: 1\n~: tilde\n") == "t.yaml:2:1: a mapping key must be text, not null");
  CHECK(error_of("? [1, 2]\n: x\n") == "t.yaml:1:3: a mapping key must be a plain value, not a list or a mapping");
  CHECK(error_of("base: &b {x: 1}\ncopy:\n  <<: *b\n") ==
        "t.yaml:3:3: merge keys (<<) are not supported (YAML 1.2 has none; write the keys out)");
  CHECK(value_of("{'<<': quoted}") == json::parse(R"({"<<": "quoted"})"));
  CHECK(error_of("a: 1\n---\nb: 2\n") == "t.yaml:3:1: a second document starts here (expected one document per file)");
  // A syntax error in a later document is not skipped.
  CHECK(error_of("a: 1\n---\nb: [\n") == "t.yaml:4:1: end of sequence flow not found");
}

TEST_CASE("an alias bomb stops instead of expanding")
{
  const std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                           "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                           "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                           "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                           "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                           "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
  const auto message = error_of(bomb);
  CHECK(message.find("aliases expand the document past 100000 values") != std::string::npos);
  // A list that holds itself.
  CHECK(error_of("a: &a [*a]\n").find("nested too deeply (expected at most 200 levels") != std::string::npos);
  // Deep nesting without aliases: the same limit.
  const std::string deep = std::string(201, '[') + std::string(201, ']');
  CHECK(error_of(deep).find("nested too deeply (expected at most 200 levels") != std::string::npos);
  CHECK(error_of(std::string(200, '[') + std::string(200, ']')).empty());
}

TEST_CASE("parse_lined keeps every node's line and the flattened scalars")
{
  const std::string text = "# comment\n"
                           "name: Northwind\n"
                           "controls:\n"
                           "  mfa:\n"
                           "    enforced: true\n"
                           "    since: 2026-01-02\n"
                           "list:\n"
                           "  - 1\n"
                           "  - \"2\"\n"
                           "  - ~\n"
                           "ratio: 0.5\n";
  auto doc = yaml::parse_lined(text, "t.yaml");
  REQUIRE(doc);
  CHECK(doc->line_of("") == 2);
  CHECK(doc->line_of("name") == 2);
  CHECK(doc->line_of("controls") == 3);
  CHECK(doc->line_of("controls.mfa") == 4);
  CHECK(doc->line_of("controls.mfa.enforced") == 5);
  CHECK(doc->line_of("list[1]") == 9);
  CHECK(doc->line_of("nowhere") == 0);
  REQUIRE(doc->values.size() == 7);
  const auto& v = doc->values;
  CHECK((v[0].path == "name" && v[0].value == "Northwind" && v[0].type == "string" && v[0].line == 2));
  CHECK((v[1].path == "controls.mfa.enforced" && v[1].value == "true" && v[1].type == "boolean" && v[1].line == 5));
  CHECK((v[2].path == "controls.mfa.since" && v[2].value == "2026-01-02" && v[2].type == "string"));
  CHECK((v[3].path == "list[0]" && v[3].value == "1" && v[3].type == "integer" && v[3].line == 8));
  CHECK((v[4].path == "list[1]" && v[4].value == "2" && v[4].type == "string"));
  CHECK((v[5].path == "list[2]" && v[5].value.empty() && v[5].type == "null" && v[5].line == 10));
  CHECK((v[6].path == "ratio" && v[6].value == "0.5" && v[6].type == "real"));
  CHECK(doc->json == *yaml::parse(text, "t.yaml"));
  auto bad = yaml::parse_lined("a: 1\na: 2\n", "t.yaml");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.starts_with("t.yaml:2:1: duplicate key \"a\""));
}
