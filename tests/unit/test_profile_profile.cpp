#include "profile/profile.hpp"

#include "core/workspace.hpp"
#include "profile/roster.hpp"
#include "profile/schema.hpp"
#include "test_support.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <regex>
#include <set>

using namespace complycli;
namespace fs = std::filesystem;

namespace {

const fs::path source_dir{COMPLYCLI_SOURCE_DIR};
const fs::path example = source_dir / "examples" / "northwind-legal" / "profile.yaml";
const fs::path profiles = fs::path(COMPLYCLI_TEST_DATA) / "profiles";

const std::string minimal = R"(organisation:
  legal_name: Minimal Ltd
  address: 1 Example Road, London
  website: https://minimal.example
  hosting_regions: [eu]
  contacts:
    dpo: {name: Dee Po, email: dpo@minimal.example}
    security: {name: Sam Sec, email: security@minimal.example}
    vulnerability_disclosure: {email: security@minimal.example}
products:
  - name: App
    data_categories: [contact details]
    data_subjects: [customers]
subprocessors: []
)";

profile::Validation check(const std::string& text, const fs::path& base = ".")
{
  auto v = profile::validate_text(text, "p.yaml", base);
  REQUIRE(v);
  return *v;
}

// The one diagnostic `text` must produce, as "line:column: message".
std::string only_problem(const std::string& text)
{
  const auto v = check(text);
  REQUIRE(v.diagnostics.size() == 1);
  const auto& d = v.diagnostics.front();
  return fmt::format("{}:{}: {}", d.line, d.column, d.message);
}

std::string replace(std::string text, const std::string& from, const std::string& to)
{
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("profile::load_profile on the bundled example")
{
  auto loaded = profile::load_profile(example);
  REQUIRE(loaded);
  const auto& p = *loaded;
  CHECK(p.organisation.legal_name == "Northwind Legal AI, Inc.");
  CHECK(p.organisation.hosting_regions == std::vector<std::string>{"us", "eu"});
  CHECK(p.organisation.subprocessor_notice_days == 30);
  CHECK(p.subprocessors.size() == 20);
  CHECK(p.ai_providers.size() == 4);
  CHECK(p.people.size() == 10); // from people.csv
  CHECK(p.people_roster == "people.csv");
  REQUIRE(p.controls.penetration_test);
  CHECK(util::format_date(p.controls.penetration_test->last) == "2025-10-02");
  REQUIRE(p.controls.mfa);
  CHECK(p.controls.mfa->enforced);
  CHECK(p.source == example);
  CHECK(p.source_sha256 == profile::file_sha256(example).value());
  CHECK(p.source_sha256.size() == 64);

  // The deliberate gaps the checks rely on are there.
  auto find = [&](std::string_view name) {
    return *std::find_if(p.subprocessors.begin(), p.subprocessors.end(), [&](auto& s) { return s.name == name; });
  };
  CHECK_FALSE(find("Intercom").dpa_signed);
  CHECK(find("Intercom").personal_data);
  CHECK(util::format_date(*find("Cohere").certifications.at(0).expires) == "2026-08-31");
  CHECK(find("Zendesk").locations == std::vector<std::string>{"us", "au"});
  CHECK_FALSE(p.ai_providers.at(3).zero_data_retention);
  const auto jonah = std::find_if(p.people.begin(), p.people.end(), [](auto& x) { return x.name == "Jonah Brooks"; });
  REQUIRE(jonah != p.people.end());
  CHECK(util::format_date(*jonah->security_training) == "2025-09-10");
  // A quoted roster cell keeps its comma.
  CHECK(std::any_of(p.people.begin(), p.people.end(), [](auto& x) { return x.name == "Rivera, Lucía"; }));
}

TEST_CASE("profile::to_json is the validated document, typed and back")
{
  for (const auto& path : {example, profiles / "minimal.yaml", profiles / "minimal.json"}) {
    CAPTURE(path);
    auto v = profile::validate_file(path);
    REQUIRE(v);
    REQUIRE(v->valid());
    auto document = v->document;
    document["schema_version"] = profile::schema_version;
    const auto typed = profile::to_json(profile::from_document(v->document));
    INFO(nlohmann::json::diff(document, typed).dump());
    CHECK(typed == document);
  }
  SUBCASE("defaults are filled in")
  {
    const auto v = check(minimal + "  # end\n");
    REQUIRE(v.valid());
    CHECK(v.document["organisation"]["subprocessor_notice_days"] == 30);
    CHECK(v.document["schema_version"] == 1);
    const auto with_sub = check(replace(minimal, "subprocessors: []",
                                        "subprocessors:\n  - {name: A, purpose: b, data_categories: [c], locations: [eu]}"));
    REQUIRE(with_sub.valid());
    CHECK(with_sub.document["subprocessors"][0]["personal_data"] == true);
  }
  SUBCASE("YAML and JSON give the same document")
  {
    auto yaml = profile::validate_file(profiles / "minimal.yaml");
    auto json = profile::validate_file(profiles / "minimal.json");
    REQUIRE(yaml);
    REQUIRE(json);
    CHECK(yaml->document == json->document);
  }
}

TEST_CASE("profile::validate_text reports each kind of problem at its line and column")
{
  CHECK(check(minimal).valid());

  SUBCASE("unknown key with a did-you-mean, top level and nested")
  {
    CHECK(only_problem(replace(minimal, "subprocessors: []", "subprocesors: []")) ==
          "14:1: subprocesors: unknown key; did you mean \"subprocessors\"?");
    CHECK(only_problem(replace(minimal, "dpo: {name: Dee Po, email:", "dpo: {name: Dee Po, emial:")) ==
          "7:25: organisation.contacts.dpo.emial: unknown key; did you mean \"email\"?");
    CHECK(only_problem(minimal + "colour: blue\n") ==
          "15:1: colour: unknown key (expected one of: schema_version, organisation, products, retention, controls, "
          "people, people_roster, ai_providers, subprocessors, ai_workers, certifications, service_levels)");
  }
  SUBCASE("wrong types")
  {
    CHECK(only_problem(replace(minimal, "[eu]", "eu")) ==
          "5:20: organisation.hosting_regions: expected a list of strings, got \"eu\" (write [eu] for a single item)");
    CHECK(only_problem(replace(minimal, "Minimal Ltd", "42")) ==
          "2:15: organisation.legal_name: expected a string, got the number 42 (quote it if it is text: \"42\")");
    CHECK(check(replace(minimal, "Minimal Ltd", "\"42\"")).valid());
    CHECK(only_problem(replace(minimal, "subprocessors: []", "subprocessors: {name: x}")) ==
          "14:16: subprocessors: expected a list of mappings, got a mapping");
    CHECK(only_problem(minimal + "controls:\n  mfa: {enforced: yes}\n") ==
          "16:19: controls.mfa.enforced: expected true or false, got \"yes\"");
    CHECK(only_problem(minimal + "controls:\n  account_lockout: {enabled: true, threshold: 2.5}\n") ==
          "16:47: controls.account_lockout.threshold: expected a whole number, got the number 2.5");
  }
  SUBCASE("dates")
  {
    CHECK(only_problem(minimal + "controls:\n  access_review: {last: 2026-02-30}\n") ==
          "16:25: controls.access_review.last: \"2026-02-30\" is not a real date (expected a date YYYY-MM-DD)");
    CHECK(only_problem(minimal + "controls:\n  access_review: {last: 2026-2-3}\n") ==
          "16:25: controls.access_review.last: expected a date YYYY-MM-DD, got \"2026-2-3\"");
    CHECK(check(minimal + "controls:\n  access_review: {last: 2024-02-29}\n").valid());
    CHECK(check(minimal + "controls:\n  access_review: {last: \"2024-02-29\"}\n").valid());
  }
  SUBCASE("missing required fields point at the enclosing mapping")
  {
    CHECK(only_problem(replace(minimal, "  legal_name: Minimal Ltd\n", "")) ==
          "2:3: organisation: missing required key \"legal_name\" (expected a string)");
    CHECK(only_problem(replace(minimal, "    dpo: {name: Dee Po, email: dpo@minimal.example}\n", "")) ==
          "7:5: organisation.contacts: missing required key \"dpo\" (expected a mapping)");
    CHECK(only_problem(replace(minimal, "  legal_name: Minimal Ltd\n", "  legal_name:\n")) ==
          "2:3: organisation.legal_name: expected a string, got nothing");
  }
  SUBCASE("shapes of emails and URLs")
  {
    CHECK(only_problem(replace(minimal, "dpo@minimal.example", "dpo at minimal")) ==
          "7:32: organisation.contacts.dpo.email: expected an email address like name@example.com, got \"dpo at "
          "minimal\"");
    CHECK(only_problem(replace(minimal, "https://minimal.example", "ftp://minimal.example")) ==
          "4:12: organisation.website: expected a URL starting with https:// or http://, got \"ftp://minimal.example\"");
  }
  SUBCASE("duplicate subprocessors, ignoring case and spaces")
  {
    const auto text = replace(minimal, "subprocessors: []",
                              "subprocessors:\n"
                              "  - {name: Stripe, purpose: b, data_categories: [c], locations: [us]}\n"
                              "  - {name: ' STRIPE', purpose: b, data_categories: [c], locations: [us]}");
    CHECK(only_problem(text) == "16:12: subprocessors[1].name: duplicate subprocessor \" STRIPE\" (names are compared "
                                "ignoring case; first listed on line 15)");
  }
  SUBCASE("AI providers must be subprocessors")
  {
    const auto text = replace(minimal, "subprocessors: []",
                              "ai_providers:\n"
                              "  - {name: Anthropic, zero_data_retention: true, training_opt_out: true}\n"
                              "  - {name: openai, zero_data_retention: true, training_opt_out: true}\n"
                              "subprocessors:\n"
                              "  - {name: OpenAI, purpose: b, data_categories: [c], locations: [us]}");
    CHECK(only_problem(text) ==
          "15:12: ai_providers[0].name: AI provider \"Anthropic\" is not listed in subprocessors (every AI provider "
          "must also be a subprocessor, by the same name)");
  }
  SUBCASE("numbers below their minimum, and the schema version")
  {
    CHECK(only_problem(replace(minimal, "  hosting_regions: [eu]\n", "  hosting_regions: [eu]\n  subprocessor_notice_days: -1\n")) ==
          "6:29: organisation.subprocessor_notice_days: must be at least 0, got -1");
    CHECK(only_problem("schema_version: 2\n" + minimal) ==
          "1:17: schema_version: unsupported version 2 (this complycli reads version 1)");
  }
  SUBCASE("duplicate keys, empty lists, items that are not mappings")
  {
    CHECK(only_problem(replace(minimal, "  legal_name: Minimal Ltd\n", "  legal_name: Minimal Ltd\n  legal_name: Other\n")) ==
          "3:3: organisation.legal_name: duplicate key (already given on line 2)");
    CHECK(only_problem(replace(minimal, "[eu]", "[]")) ==
          "5:20: organisation.hosting_regions: expected at least one item, got an empty list");
    CHECK(only_problem(minimal + "people:\n  - Ada\n") == "16:5: people[0]: expected a mapping, got \"Ada\"");
  }
  SUBCASE("an empty document and a scalar document")
  {
    CHECK(only_problem("") == "1:1: the file is empty (expected a mapping with the profile's keys: organisation, "
                              "products, subprocessors, ...)");
    CHECK(only_problem("# only a comment\n").starts_with("1:1: the file is empty"));
    CHECK(only_problem("hello\n") == "1:1: expected a mapping, got \"hello\"");
  }
  SUBCASE("every problem at once, in file order")
  {
    const auto v = check("organisation:\n  legal_nme: X\n  website: x\nproducts: []\n");
    REQUIRE(v.diagnostics.size() == 7);
    for (std::size_t i = 1; i < v.diagnostics.size(); ++i) {
      CHECK(std::pair(v.diagnostics[i - 1].line, v.diagnostics[i - 1].column) <=
            std::pair(v.diagnostics[i].line, v.diagnostics[i].column));
    }
  }
}

TEST_CASE("profile::validate_file and load_profile errors")
{
  test::TestContext t;
  SUBCASE("a syntax error is Errc::parse with file:line:column")
  {
    REQUIRE(util::write_file_atomic(t.path("bad.yaml"), "a: [1, 2\nb: 3\n", util::Overwrite::no));
    auto v = profile::validate_file(t.path("bad.yaml"));
    REQUIRE_FALSE(v);
    CHECK(v.error().code == Errc::parse);
    CHECK(v.error().message == fmt::format("{}:2:2: not valid YAML or JSON: end of sequence flow not found",
                                           t.path("bad.yaml").string()));
  }
  SUBCASE("a missing file is Errc::io")
  {
    auto v = profile::validate_file(t.path("none.yaml"));
    REQUIRE_FALSE(v);
    CHECK(v.error().code == Errc::io);
  }
  SUBCASE("an invalid profile is Errc::config listing every problem")
  {
    REQUIRE(util::write_file_atomic(t.path("p.yaml"), "organisation: {}\nproducts: []\n", util::Overwrite::no));
    auto p = profile::load_profile(t.path("p.yaml"));
    REQUIRE_FALSE(p);
    CHECK(p.error().code == Errc::config);
    const auto name = t.path("p.yaml").string();
    CHECK(p.error().message.starts_with(fmt::format("{} is not a valid profile (7 problems):\n", name)));
    CHECK(p.error().message.find(fmt::format("\n{}:1:1: missing required key \"subprocessors\"", name)) !=
          std::string::npos);
    CHECK(p.error().message.find(fmt::format("\n{}:2:11: products: expected at least one item", name)) !=
          std::string::npos);
    CHECK_FALSE(p.error().hint.empty());
  }
  SUBCASE("every broken fixture fails, naming a line and column")
  {
    int count = 0;
    for (const auto& entry : fs::directory_iterator(profiles / "broken")) {
      const auto ext = entry.path().extension();
      if (ext != ".yaml" && ext != ".json") {
        continue;
      }
      ++count;
      CAPTURE(entry.path());
      auto v = profile::validate_file(entry.path());
      if (!v) {
        CHECK(v.error().code == Errc::parse);
        CHECK(std::regex_search(v.error().message, std::regex(R"(\.(yaml|json):[0-9]+:[0-9]+: )")));
        continue;
      }
      REQUIRE_FALSE(v->valid());
      for (const auto& d : v->diagnostics) {
        CHECK(d.line >= 1);
        CHECK(d.column >= 1);
        CHECK_FALSE(d.message.empty());
      }
    }
    CHECK(count >= 15);
  }
}

TEST_CASE("profile::validate_text never crashes on a damaged profile")
{
  auto text = util::read_file(example);
  REQUIRE(text);
  const fs::path base = example.parent_path();
  // Prefixes and overwritten bytes, in steps to keep the test quick.
  for (std::size_t length = 0; length < text->size(); length += 97) {
    auto v = profile::validate_text(text->substr(0, length), "p.yaml", base);
    CHECK((!v ? v.error().code == Errc::parse : true));
  }
  for (std::size_t at = 0; at < text->size(); at += 97) {
    for (const char c : {':', '[', '"'}) {
      auto damaged = *text;
      damaged[at] = c;
      auto v = profile::validate_text(damaged, "p.yaml", base);
      if (!v) {
        CHECK(v.error().code == Errc::parse);
      }
    }
  }
}

TEST_CASE("profile::workspace_profile")
{
  test::TestContext t;
  core::Settings settings;
  auto bare = core::init_workspace(t.path("bare"), t.dir(), settings);
  REQUIRE(bare);
  auto none = profile::workspace_profile(*bare);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::usage);
  CHECK_FALSE(none.error().hint.empty());

  settings.profile = "company/profile.yaml";
  auto relative = core::init_workspace(std::nullopt, t.path("project"), settings);
  REQUIRE(relative);
  CHECK(profile::workspace_profile(*relative).value() == t.path("project") / "company/profile.yaml");

  settings.profile = "/srv/profile.yaml";
  auto absolute = core::init_workspace(t.path("abs"), t.dir(), settings);
  REQUIRE(absolute);
  CHECK(profile::workspace_profile(*absolute).value() == fs::path("/srv/profile.yaml"));
}

TEST_CASE("profile people roster")
{
  test::TestContext t;
  SUBCASE("quoted cells, CRLF, blank lines and empty cells")
  {
    std::vector<profile::Diagnostic> problems;
    const auto people = profile::read_roster(
        "name,email,security_training\r\n\"Doe, \"\"JD\"\" Jane\",jane@x.example,2026-01-02\r\n\r\nBob,,\r\n", "r.csv",
        problems);
    CHECK(problems.empty());
    REQUIRE(people.size() == 2);
    CHECK(people[0]["name"] == "Doe, \"JD\" Jane");
    CHECK(people[0]["security_training"] == "2026-01-02");
    CHECK(people[1] == nlohmann::json{{"name", "Bob"}});
  }
  SUBCASE("problems carry the CSV's line and column")
  {
    std::vector<profile::Diagnostic> problems;
    profile::read_roster("name,email,background_check\nAda,ada,2026-13-01\n,x@y.example,\n", "r.csv", problems);
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].to_string() ==
          "r.csv:2:5: email: expected an email address like name@example.com, got \"ada\"");
    CHECK(problems[1].to_string() ==
          "r.csv:2:9: background_check: \"2026-13-01\" is not a real date (expected a date YYYY-MM-DD)");
    CHECK(problems[2].to_string() == "r.csv:3:1: name: expected a string, got nothing");
  }
  SUBCASE("a header without name, and an empty roster")
  {
    std::vector<profile::Diagnostic> problems;
    profile::read_roster("role,email\n", "r.csv", problems);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].message.starts_with("the roster's header has no \"name\" column"));
    problems.clear();
    profile::read_roster("\n", "r.csv", problems);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].message.starts_with("the roster is empty"));
  }
  SUBCASE("the roster is read relative to the profile, and is merged into people")
  {
    fs::create_directories(t.path("co"));
    REQUIRE(util::write_file_atomic(t.path("co/staff.csv"), "name,role\nAda,CTO\n", util::Overwrite::no));
    auto v = check(minimal + "people_roster: staff.csv\n", t.path("co"));
    REQUIRE(v.valid());
    CHECK(v.document["people"] == nlohmann::json::parse(R"([{"name": "Ada", "role": "CTO"}])"));
    auto missing = check(minimal + "people_roster: nobody.csv\n", t.path("co"));
    REQUIRE(missing.diagnostics.size() == 1);
    CHECK(missing.diagnostics[0].line == 15);
    CHECK(missing.diagnostics[0].column == 16);
    auto both = check(minimal + "people: [{name: Bo}]\npeople_roster: staff.csv\n", t.path("co"));
    REQUIRE(both.diagnostics.size() == 1);
    CHECK(both.diagnostics[0].message == "people_roster: give either people or people_roster, not both");
  }
}

TEST_CASE("profile::did_you_mean and check_text")
{
  const std::vector<std::string_view> keys{"legal_name", "trading_name", "address", "subprocessors"};
  CHECK(profile::did_you_mean("legal_nmae", keys) == "legal_name");
  CHECK(profile::did_you_mean("Legal_Name", keys) == "legal_name");
  CHECK(profile::did_you_mean("adress", keys) == "address");
  CHECK(profile::did_you_mean("subprocessor", keys) == "subprocessors");
  CHECK(profile::did_you_mean("adderss", keys) == "address"); // a swap is one edit
  CHECK(profile::did_you_mean("colour", keys).empty());
  CHECK(profile::did_you_mean("x", keys).empty());

  using profile::Kind;
  CHECK_FALSE(profile::check_text(Kind::date, "2024-02-29"));
  CHECK(profile::check_text(Kind::date, "2023-02-29"));
  CHECK(profile::check_text(Kind::date, "2026-11-25T00:00:00Z"));
  CHECK_FALSE(profile::check_text(Kind::email, "first.last+tag@sub.example.co.uk"));
  CHECK(profile::check_text(Kind::email, "a@b"));
  CHECK(profile::check_text(Kind::email, "a b@c.example"));
  CHECK_FALSE(profile::check_text(Kind::url, "https://example.com/path?q=1#x"));
  CHECK_FALSE(profile::check_text(Kind::url, "http://localhost:8080/"));
  CHECK(profile::check_text(Kind::url, "example.com"));
  CHECK(profile::check_text(Kind::url, "https://exa mple.com"));
  CHECK(profile::check_text(Kind::string, ""));
}

namespace {

// Compare one schema field with its JSON Schema counterpart; report differences in `problems`.
void compare(const profile::Field& field, const nlohmann::json& schema, const std::string& path,
             std::vector<std::string>& problems)
{
  using profile::Kind;
  auto expect = [&](bool ok, std::string_view what) {
    if (!ok) {
      problems.push_back(fmt::format("{}: {}", path, what));
    }
  };
  const auto type = schema.value("type", std::string());
  switch (field.kind) {
  case Kind::string: expect(type == "string" && !schema.contains("format"), "expected a plain string"); break;
  case Kind::date: expect(type == "string" && schema.value("format", "") == "date", "expected format date"); break;
  case Kind::email: expect(type == "string" && schema.value("format", "") == "email", "expected format email"); break;
  case Kind::url: expect(type == "string" && schema.value("format", "") == "uri", "expected format uri"); break;
  case Kind::integer:
    expect(type == "integer" && schema.value("minimum", -1LL) == field.minimum, "expected integer with minimum");
    break;
  case Kind::boolean: expect(type == "boolean", "expected boolean"); break;
  case Kind::string_list:
    expect(type == "array" && schema["items"].value("type", "") == "string", "expected array of strings");
    expect(schema.contains("minItems") == field.non_empty, "minItems");
    break;
  case Kind::object_list:
    expect(type == "array" && schema.contains("items"), "expected array of objects");
    expect(schema.contains("minItems") == field.non_empty, "minItems");
    if (schema.contains("items")) {
      profile::Field item = field;
      item.kind = Kind::object;
      compare(item, schema["items"], path + "[]", problems);
    }
    return;
  case Kind::object: {
    expect(type == "object" && schema.value("additionalProperties", true) == false, "expected a closed object");
    std::set<std::string> ours, theirs, our_required, their_required;
    for (const auto& child : field.children) {
      ours.emplace(child.name);
      if (child.presence == profile::Presence::required) {
        our_required.emplace(child.name);
      }
    }
    const auto properties = schema.value("properties", nlohmann::json::object());
    for (const auto& [key, value] : properties.items()) {
      theirs.insert(key);
    }
    const auto required = schema.value("required", nlohmann::json::array());
    for (const auto& key : required) {
      their_required.insert(key.get<std::string>());
    }
    expect(ours == theirs, fmt::format("properties differ: [{}] vs [{}]", fmt::join(ours, ", "), fmt::join(theirs, ", ")));
    expect(our_required == their_required, "required keys differ");
    for (const auto& child : field.children) {
      if (schema["properties"].contains(std::string(child.name))) {
        compare(child, schema["properties"][std::string(child.name)], path + "." + std::string(child.name), problems);
      }
    }
    return;
  }
  }
  if (!field.fallback.is_null()) {
    expect(schema.value("default", nlohmann::json()) == field.fallback, "default differs");
  }
}

// Every key of `document` is a property the JSON Schema lists.
void keys_in_schema(const nlohmann::json& document, const nlohmann::json& schema, const std::string& path,
                    std::vector<std::string>& problems)
{
  if (document.is_object()) {
    for (const auto& [key, value] : document.items()) {
      if (!schema.contains("properties") || !schema["properties"].contains(key)) {
        problems.push_back(fmt::format("{}.{} is not in docs/profile.schema.json", path, key));
        continue;
      }
      keys_in_schema(value, schema["properties"][key], path + "." + key, problems);
    }
  } else if (document.is_array() && schema.contains("items")) {
    for (const auto& item : document) {
      keys_in_schema(item, schema["items"], path + "[]", problems);
    }
  }
}

} // namespace

TEST_CASE("docs/profile.schema.json matches the validator's schema")
{
  auto text = util::read_file(source_dir / "docs" / "profile.schema.json");
  REQUIRE(text);
  const auto schema = nlohmann::json::parse(*text);
  CHECK(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  std::vector<std::string> problems;
  compare(profile::profile_schema(), schema, "", problems);
  CHECK_MESSAGE(problems.empty(), fmt::format("{}", fmt::join(problems, "\n")));

  auto p = profile::load_profile(example);
  REQUIRE(p);
  problems.clear();
  keys_in_schema(profile::to_json(*p), schema, "", problems);
  CHECK_MESSAGE(problems.empty(), fmt::format("{}", fmt::join(problems, "\n")));
}

// Found by the fuzz target profile (tests/fuzz/regressions/profile/): a valid profile with a Latin-1
// byte in a string made to_json(...).dump() throw, so every JSON output of the profile crashed.
TEST_CASE("profile::validate_text rejects text that is not UTF-8 at its line and column")
{
  const std::string text = "schema_version: 1\norganisation:\n  legal_name: Caf\xE9 Ltd\n";
  const auto result = profile::validate_text(text, "p.yaml", ".");
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::parse);
  CHECK(result.error().message.starts_with("p.yaml:3:18: not valid YAML or JSON: byte 0xE9 is not UTF-8"));
}
