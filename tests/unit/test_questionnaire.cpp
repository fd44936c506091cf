#include "questionnaire/answer.hpp"
#include "questionnaire/bank.hpp"
#include "questionnaire/matcher.hpp"
#include "questionnaire/sheet.hpp"

#include "util/time.hpp"

#include <doctest/doctest.h>

using namespace complycli;
namespace q = complycli::questionnaire;

namespace {

const std::filesystem::path source = COMPLYCLI_SOURCE_DIR;

const q::Bank& bank()
{
  static const q::Bank b = [] {
    auto loaded = q::load_bank(source / "templates" / "questionnaires" / "bank.yaml");
    REQUIRE(loaded);
    return *loaded;
  }();
  return b;
}

render::DocumentInputs example_inputs()
{
  render::DocumentInputs inputs;
  auto profile = render::load_profile(source / "examples" / "northwind-legal" / "profile.yaml");
  REQUIRE(profile);
  inputs.profile = *profile;
  auto results = render::load_results(source / "examples" / "northwind-legal" / "results.json");
  REQUIRE(results);
  inputs.results = *results;
  inputs.date = *util::parse_date("2026-11-26");
  return inputs;
}

} // namespace

TEST_CASE("questionnaire::bank")
{
  std::size_t phrasings = bank().phrasings.size();
  CHECK(phrasings >= 400);
  CHECK(bank().keys.size() >= 60);
  CHECK(bank().keys.contains("ai-no-training"));
}

TEST_CASE("questionnaire::split_parts")
{
  CHECK(q::split_parts("Is MFA enforced?") == std::vector<std::string>{"Is MFA enforced"});
  CHECK(q::split_parts("Is MFA enforced? Is SSO used?") == std::vector<std::string>{"Is MFA enforced", "Is SSO used"});
  CHECK(q::split_parts("Do you (a) encrypt data at rest and (b) rotate keys?") ==
        std::vector<std::string>{"Do you encrypt data at rest", "Do you rotate keys"});
  CHECK(q::split_parts("Do you have an incident response plan, and is it tested yearly?") ==
        std::vector<std::string>{"Do you have an incident response plan", "is it tested yearly"});
  // "and" inside one thing asked does not split.
  CHECK(q::split_parts("Is data encrypted at rest and in transit?").size() == 1);
}

TEST_CASE("questionnaire::normalise")
{
  CHECK(q::normalise("Don't you use 2FA?", bank()) == std::vector<std::string>{"do", "not", "you", "use", "mfa"});
  CHECK(q::normalise("Is it encrypted? (Yes/No)", bank()) == std::vector<std::string>{"is", "it", "encrypted", "yesno"});
}

TEST_CASE("questionnaire::Matcher")
{
  auto matcher = q::Matcher::build(bank());
  REQUIRE(matcher);
  SUBCASE("a question in other words finds its key")
  {
    auto c = matcher->match("Is two-factor authentication mandatory for every employee?");
    REQUIRE(c);
    REQUIRE(!c->empty());
    CHECK(c->front().key == "mfa");
    CHECK(!c->front().reversed);
    CHECK(c->front().confidence >= bank().threshold);
  }
  SUBCASE("a question asking the opposite is reversed")
  {
    auto c = matcher->match("Is our data used to train models?");
    REQUIRE(c);
    REQUIRE(!c->empty());
    CHECK(c->front().key == "ai-no-training");
    CHECK(c->front().reversed);
    auto n = matcher->match("Is customer data never used to train models?");
    REQUIRE(n);
    CHECK(n->front().key == "ai-no-training");
    CHECK(!n->front().reversed);
  }
  SUBCASE("an unrelated question matches nothing with confidence")
  {
    auto c = matcher->match("How many employees does your company have?");
    REQUIRE(c);
    CHECK((c->empty() || c->front().confidence < bank().threshold));
  }
}

TEST_CASE("questionnaire::answer_workbook")
{
  auto matcher = q::Matcher::build(bank());
  REQUIRE(matcher);
  const auto inputs = example_inputs();
  auto book = q::read_csv("Nr.,Frage,Notiz\r\nA-1,Is our data used to train models?,x\r\nA-2,Is MFA enforced for all "
                          "staff? Do you run annual penetration tests?,\r\nA-3,What is your annual revenue?,\r\n",
                          "f.csv");
  REQUIRE(book);
  auto answered = q::answer_workbook(*book, "f.csv", {}, bank(), *matcher, inputs, {});
  REQUIRE(answered);
  REQUIRE(answered->rows.size() == 3);
  CHECK(answered->rows[0].verdict == q::Verdict::no);      // reversed: the no-training key holds
  CHECK(answered->rows[1].verdict == q::Verdict::partial); // Yes and No
  CHECK(answered->rows[2].verdict == q::Verdict::needs_review);
  const auto csv = q::write_csv(answered->book);
  CHECK(csv.starts_with("Nr.,Frage,Notiz,Answer,Comment,Evidence,Confidence\r\nA-1,Is our data used to train models?,x,No,"));

  SUBCASE("an approved answer is reused")
  {
    std::map<std::string, q::Approval> approvals;
    approvals[q::question_fingerprint("what is your  ANNUAL revenue?")] = {"Not applicable", "private", "ana", "2026-11-26T10:00:00Z", 7};
    auto again = q::answer_workbook(*book, "f.csv", {}, bank(), *matcher, inputs, approvals);
    REQUIRE(again);
    CHECK(again->rows[2].verdict == q::Verdict::not_applicable);
    CHECK(again->rows[2].approved);
    CHECK(again->rows[2].evidence.find("audit log entry 7") != std::string::npos);
  }
  SUBCASE("no question column is a usage error naming the headers")
  {
    auto other = q::read_csv("a,b\n1,2\n", "g.csv");
    REQUIRE(other);
    auto r = q::answer_workbook(*other, "g.csv", {}, bank(), *matcher, inputs, {});
    REQUIRE(!r);
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message.find("\"a\", \"b\"") != std::string::npos);
  }
}

TEST_CASE("questionnaire::evaluate_key")
{
  auto inputs = example_inputs();
  const auto data = render::document_data(inputs);
  REQUIRE(data);
  SUBCASE("profile and check agree: Yes")
  {
    auto r = q::evaluate_key(bank().keys.at("mfa"), inputs, *data);
    REQUIRE(r);
    CHECK(r->verdict == q::Verdict::yes);
  }
  SUBCASE("profile and check disagree: Needs review citing both")
  {
    inputs.profile.data["controls"]["mfa"]["enforced"] = false;
    auto r = q::evaluate_key(bank().keys.at("mfa"), inputs, *data);
    REQUIRE(r);
    CHECK(r->verdict == q::Verdict::needs_review);
    CHECK(r->comment.find("disagree") != std::string::npos);
    CHECK(r->comment.find("controls.mfa.enforced") != std::string::npos);
    CHECK(r->comment.find("profile-mfa-enforced") != std::string::npos);
  }
  SUBCASE("stale results: Needs review, never Yes")
  {
    inputs.date = *util::parse_date("2027-03-01");
    auto r = q::evaluate_key(bank().keys.at("mfa"), inputs, *data);
    REQUIRE(r);
    CHECK(r->verdict == q::Verdict::needs_review);
  }
  SUBCASE("a list field false on one element: No")
  {
    auto r = q::evaluate_key(bank().keys.at("ai-zero-retention"), inputs, *data);
    REQUIRE(r);
    CHECK(r->verdict == q::Verdict::no);
    CHECK(r->comment.find("Cohere") != std::string::npos);
  }
}
