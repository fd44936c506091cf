#include "render/documents.hpp"
#include "render/places.hpp"

#include "util/file.hpp"
#include "util/time.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

using namespace complycli;
using nlohmann::json;

namespace {

const std::filesystem::path data_dir = std::filesystem::path(COMPLYCLI_TEST_DATA) / "documents";
const std::filesystem::path questionnaire = std::filesystem::path(COMPLYCLI_SOURCE_DIR) / "examples" / "northwind-legal" / "questionnaire.csv";

render::DocumentInputs inputs_with(const std::string& results_file, const std::string& date = "2026-11-26")
{
  render::DocumentInputs inputs;
  auto profile = render::load_profile(data_dir / "profile.yaml");
  REQUIRE(profile);
  inputs.profile = *profile;
  auto results = render::load_results(data_dir / results_file);
  REQUIRE(results);
  inputs.results = *results;
  inputs.date = *util::parse_date(date);
  return inputs;
}

const render::Claim& claim(const std::vector<render::Claim>& claims, const std::string& id)
{
  for (const auto& c : claims) {
    if (c.id == id) {
      return c;
    }
  }
  FAIL("no claim " << id);
  return claims.front();
}

std::map<std::string, std::string> answers_by_id(const std::string& json_text)
{
  std::map<std::string, std::string> out;
  const json doc = json::parse(json_text);
  for (const auto& a : doc["answers"]) {
    out[a["id"].get<std::string>()] = a["answer"].get<std::string>();
  }
  return out;
}

} // namespace

TEST_CASE("render: a failing TLS check withdraws the in-transit encryption claim everywhere")
{
  const auto csv = util::read_file(questionnaire);
  REQUIRE(csv);

  SUBCASE("all checks pass: every claim is made")
  {
    const auto inputs = inputs_with("results-pass.json");
    auto page = render::render_trust_page(inputs, render::DocFormat::html);
    REQUIRE(page);
    CHECK(claim(page->claims, "encryption_in_transit").backed);
    CHECK(page->page.find("<h2 id=\"encryption-in-transit\">") != std::string::npos);
    auto dpa = render::render_dpa(inputs, {"Acme LLP", "", "", ""}, render::DocFormat::md);
    REQUIRE(dpa);
    CHECK(dpa->text.find("### Encryption in transit") != std::string::npos);
    CHECK(dpa->text.find("| tls-no-legacy-protocols |") != std::string::npos);
    auto answers = render::render_answers(inputs, *csv, "q.csv", data_dir / "../../../templates/questionnaires/caiq-lite.yaml",
                                          render::DocFormat::json);
    REQUIRE(answers);
    const auto by_id = answers_by_id(answers->text);
    CHECK(by_id.at("CEK-02") == "Yes");
    CHECK(by_id.at("CEK-03") == "Yes");
  }

  SUBCASE("tls-no-legacy-protocols fails")
  {
    const auto inputs = inputs_with("results-tls-fail.json");
    auto page = render::render_trust_page(inputs, render::DocFormat::html);
    REQUIRE(page);
    const auto& in_transit = claim(page->claims, "encryption_in_transit");
    CHECK_FALSE(in_transit.backed);
    CHECK(in_transit.reasons == std::vector<std::string>{"check tls-no-legacy-protocols: fail"});
    CHECK(claim(page->claims, "encryption_at_rest").backed);
    CHECK(page->page.find("Encryption in transit") == std::string::npos);
    CHECK(page->page.find("<h2 id=\"encryption-at-rest\">") != std::string::npos);

    auto md = render::render_trust_page(inputs, render::DocFormat::md);
    REQUIRE(md);
    CHECK(md->page.find("Encryption in transit") == std::string::npos);

    // The DPA is a contract: Annex II keeps the committed measure; only the verified controls drop the check.
    auto dpa = render::render_dpa(inputs, {"Acme LLP", "", "", ""}, render::DocFormat::md);
    REQUIRE(dpa);
    CHECK(dpa->text.find("### Encryption in transit") != std::string::npos);
    CHECK_FALSE(claim(dpa->claims, "encryption_in_transit").backed);
    CHECK(dpa->text.find("| tls-no-legacy-protocols |") == std::string::npos);
    CHECK(dpa->text.find("| tls-strong-ciphers |") != std::string::npos);
    CHECK(dpa->text.find("### Encryption at rest") != std::string::npos);

    auto answers = render::render_answers(inputs, *csv, "q.csv", data_dir / "../../../templates/questionnaires/caiq-lite.yaml",
                                          render::DocFormat::json);
    REQUIRE(answers);
    const auto by_id = answers_by_id(answers->text);
    CHECK(by_id.at("CEK-02") == "Needs review"); // the profile says TLS 1.2, a check disagrees
    CHECK(by_id.at("CEK-03") == "No");
    CHECK(by_id.at("CEK-04") == "Yes");
    CHECK(by_id.at("CEK-01") == "Yes");
  }

  SUBCASE("results older than --max-age back nothing")
  {
    auto inputs = inputs_with("results-pass.json", "2027-01-30");
    auto page = render::render_trust_page(inputs, render::DocFormat::html);
    REQUIRE(page);
    const auto& in_transit = claim(page->claims, "encryption_in_transit");
    CHECK_FALSE(in_transit.backed);
    CHECK(in_transit.reasons ==
          std::vector<std::string>{"the checks evaluated on 2026-11-25, 66 days before the document (max_age 30)"});
    CHECK(page->page.find("Encryption at rest") == std::string::npos);
    inputs.date = *util::parse_date("2026-12-20"); // 25 days: within the claim's max_age
    auto fresh = render::render_trust_page(inputs, render::DocFormat::html);
    REQUIRE(fresh);
    CHECK(claim(fresh->claims, "encryption_at_rest").backed);
  }
}

TEST_CASE("render: questionnaire answers are never guessed")
{
  const auto inputs = inputs_with("results-pass.json");
  const auto mapping = std::filesystem::path(COMPLYCLI_SOURCE_DIR) / "templates" / "questionnaires" / "caiq-lite.yaml";
  const std::string csv = "id,question\n"
                          "CEK-01,At rest?\n"
                          "ZZZ-99,Something unmapped?\n"
                          "IVS-01,Own data centres?\n"
                          "IAM-07,All access controls?\n";
  auto answers = render::render_answers(inputs, csv, "q.csv", mapping, render::DocFormat::json);
  REQUIRE(answers);
  auto by_id = answers_by_id(answers->text);
  CHECK(by_id.at("CEK-01") == "Yes");
  CHECK(by_id.at("ZZZ-99") == "Needs review");
  CHECK(by_id.at("IVS-01") == "Not applicable");
  CHECK(by_id.at("IAM-07") == "Yes");

  SUBCASE("some checks failing where the mapping allows it: Partial")
  {
    auto failing = inputs;
    for (auto& check : failing.results->data["checks"]) {
      if (check["id"] == "ssh-no-root-login") {
        check["status"] = "fail";
      }
    }
    auto partial = render::render_answers(failing, csv, "q.csv", mapping, render::DocFormat::json);
    REQUIRE(partial);
    CHECK(answers_by_id(partial->text).at("IAM-07") == "Partial");
  }

  SUBCASE("a profile that states the opposite: No; a missing fact: Needs review")
  {
    auto changed = inputs;
    changed.profile.data["controls"]["mfa"]["enforced"] = false;
    changed.profile.data["controls"].erase("access_review");
    for (auto& check : changed.results->data["checks"]) {
      if (check["id"] == "profile-mfa-enforced") {
        check["status"] = "fail";
      }
    }
    const std::string q = "id,question\nIAM-01,MFA?\nIAM-06,Access reviews?\n";
    auto r = render::render_answers(changed, q, "q.csv", mapping, render::DocFormat::json);
    REQUIRE(r);
    by_id = answers_by_id(r->text);
    CHECK(by_id.at("IAM-01") == "No");
    CHECK(by_id.at("IAM-06") == "Needs review");
  }

  SUBCASE("a row with the wrong number of fields names the row")
  {
    auto bad = render::render_answers(inputs, "id,question\nA,b\nC,d,e\n", "q.csv", mapping, render::DocFormat::csv);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::parse);
    CHECK(bad.error().message == "q.csv:3: row 3: 3 fields, the header has 2");
  }
}

TEST_CASE("render: a missing profile field names the field and the template line")
{
  auto inputs = inputs_with("results-pass.json");
  inputs.profile.data["subprocessors"][1].erase("purpose"); // OpenAI in file order; 4th once sorted
  auto r = render::render_register(inputs, render::DocFormat::md);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  INFO(r.error().message);
  CHECK(r.error().message.find("register.md.mustache:13: the template needs \"has_processors.processors[3].purpose\"") !=
        std::string::npos);
}

TEST_CASE("render: location codes become countries, inside or outside the EEA (templates/regions.yaml)")
{
  const auto regions = render::load_regions(render::TemplateDirs{});
  REQUIRE(regions);
  const auto ireland = render::place_of(*regions, "eu-west-1");
  CHECK(ireland.country == "Ireland");
  CHECK(ireland.eea);
  CHECK(ireland.known);
  CHECK(render::place_of(*regions, "US").country == "United States");
  CHECK_FALSE(render::place_of(*regions, "us-east-1").eea);
  CHECK(render::place_of(*regions, "westeurope").country == "Netherlands");
  CHECK(render::place_of(*regions, "Norway").eea); // a country the EEA list names
  CHECK_FALSE(render::place_of(*regions, "eu-west-2").eea); // London
  const auto unknown = render::place_of(*regions, "mars-1");
  CHECK(unknown.country == "mars-1");
  CHECK_FALSE(unknown.known);
  CHECK_FALSE(unknown.eea);
  // How the name reads after "established in": "the" where English puts it, never on unknown codes.
  CHECK(render::place_of(*regions, "us-east-1").in_sentence == "the United States");
  CHECK(render::place_of(*regions, "westeurope").in_sentence == "the Netherlands");
  CHECK(render::place_of(*regions, "eu-central-1").in_sentence == "Germany");
  CHECK(unknown.in_sentence == "mars-1");

  test::TestContext t;
  std::ofstream(t.path("regions.yaml")) << "regions:\n  xx: {country: Nowhere}\neea_countries: []\n";
  const auto bad = render::load_regions(render::TemplateDirs{t.dir()});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::config);
  CHECK(bad.error().message.find("regions.xx needs country (text) and eea (true or false)") != std::string::npos);
}

TEST_CASE("render: the DPA's transfer clause and consistency warnings come from the profile")
{
  auto inputs = inputs_with("results-pass.json");
  // The fixture company is in the United States (address), and states no country: the clause cannot
  // say whether Module Two applies, and says so.
  auto dpa = render::render_dpa(inputs, {"Acme LLP", "1 Fleet Street\nLondon\nUnited Kingdom", "", ""},
                                render::DocFormat::md);
  REQUIRE(dpa);
  const auto has = [&](const std::string& what) {
    return std::any_of(dpa->warnings.begin(), dpa->warnings.end(),
                       [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  CHECK(has("organisation.country is not stated"));
  CHECK(has("service_levels.breach_notification_hours is not stated"));
  CHECK(dpa->text.find("Module Two") == std::string::npos);

  inputs.profile.data["organisation"]["country"] = "United States";
  inputs.profile.data["service_levels"] = {{"breach_notification_hours", 24}};
  dpa = render::render_dpa(inputs, {"Acme LLP", "1 Fleet Street\nLondon\nUnited Kingdom", "", ""}, render::DocFormat::md);
  REQUIRE(dpa);
  CHECK_FALSE(has("organisation.country is not stated"));
  CHECK_FALSE(has("breach_notification_hours"));
  CHECK(dpa->text.find("Module Two (controller to processor)") != std::string::npos);
  CHECK(dpa->text.find("UK GDPR") != std::string::npos);
  CHECK(dpa->text.find("and in any event within 24 hours,") != std::string::npos);
  // OpenAI is in the United States and relies on the DPF; Anthropic on SCCs: Module Three.
  CHECK(dpa->text.find("- Anthropic (United States): Standard Contractual Clauses, Module Three") != std::string::npos);
  CHECK(dpa->text.find("- OpenAI (United States): EU-U.S. Data Privacy Framework") != std::string::npos);
}
