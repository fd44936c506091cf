#include "render/documents.hpp"

#include "util/file.hpp"
#include "util/time.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

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
    auto dpa = render::render_dpa(inputs, {"Acme LLP", ""}, render::DocFormat::md);
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

    auto dpa = render::render_dpa(inputs, {"Acme LLP", ""}, render::DocFormat::md);
    REQUIRE(dpa);
    CHECK(dpa->text.find("Encryption in transit") == std::string::npos);
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
  CHECK(r.error().message.find("register.md.mustache:12: the template needs \"subprocessors[3].purpose\"") !=
        std::string::npos);
}
