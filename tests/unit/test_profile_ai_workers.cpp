// The profile's ai_workers section: validation at file:line:column, the typed form and its JSON, and
// the rules the audit log applies to worker actors and approvers.

#include "profile/profile.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>

using namespace complycli;
namespace fs = std::filesystem;

namespace {

const fs::path example = fs::path(COMPLYCLI_SOURCE_DIR) / "examples" / "northwind-legal" / "profile.yaml";

const std::string head = R"(organisation:
  legal_name: Minimal Ltd
  address: 1 Test Street
  website: https://minimal.example
  hosting_regions: [eu]
  contacts:
    dpo: {name: Dee Po, email: dpo@minimal.example}
    security: {name: Sam Sec, email: security@minimal.example}
    vulnerability_disclosure: {email: security@minimal.example}
products:
  - {name: App, data_categories: [client documents], data_subjects: [clients]}
people:
  - {name: Ada Lovelace, role: Partner}
  - {name: Old Timer, role: Partner, status: left}
ai_providers:
  - {name: OpenAI, zero_data_retention: true, training_opt_out: true}
subprocessors:
  - {name: OpenAI, purpose: models, data_categories: [], locations: [us]}
)";

std::vector<std::string> problems(const std::string& workers)
{
  const auto result = profile::validate_text(head + workers, "p.yaml", ".");
  REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
  std::vector<std::string> out;
  for (const auto& d : result->diagnostics) {
    out.push_back(d.to_string());
  }
  return out;
}

} // namespace

TEST_CASE("profile: ai_workers validation")
{
  SUBCASE("a complete worker is valid")
  {
    CHECK(problems(R"(ai_workers:
  - id: w1
    name: Worker
    owner: Ada Lovelace
    role: drafter
    status: active
    permissions: [{resource: matters, verbs: [read]}]
    model_provider: openai
    memory: {scope: matter, retention_days: 30}
    approvals: [{action: external_message, approver_role: Partner}]
    last_permission_review: 2026-10-15
)")
              .empty());
  }
  SUBCASE("every problem at its line and column")
  {
    const auto found = problems(R"(ai_workers:
  - id: w1
    name: Worker
    status: retird
    model_provider: Mistral
    memory: {scope: forever}
    permissions: [{resource: matters, verbs: []}]
    last_permission_review: 2026-13-01
)");
    const auto text = fmt::format("{}", fmt::join(found, "\n"));
    CAPTURE(text);
    CHECK(text.find("p.yaml:20:5: ai_workers[0]: missing required key \"owner\"") != std::string::npos);
    CHECK(text.find("p.yaml:20:5: ai_workers[0]: missing required key \"role\"") != std::string::npos);
    CHECK(text.find("p.yaml:22:13: ai_workers[0].status: expected one of active, suspended, retired, got \"retird\"; "
                    "did you mean \"retired\"?") != std::string::npos);
    CHECK(text.find("p.yaml:23:21: ai_workers[0].model_provider: \"Mistral\" is not one of the profile's ai_providers") !=
          std::string::npos);
    CHECK(text.find("p.yaml:24:21: ai_workers[0].memory.scope: expected one of none, session, matter, tenant, global") !=
          std::string::npos);
    CHECK(text.find("ai_workers[0].permissions[0].verbs: expected at least one item") != std::string::npos);
    CHECK(text.find("p.yaml:26:29: ai_workers[0].last_permission_review: \"2026-13-01\" is not a real date") !=
          std::string::npos);
  }
  SUBCASE("a person's status is active or left")
  {
    auto bad = head;
    bad.replace(bad.find("status: left"), 12, "status: gone");
    const auto found = profile::validate_text(bad, "p.yaml", ".");
    REQUIRE(found);
    REQUIRE(found->diagnostics.size() == 1);
    CHECK(found->diagnostics[0].message == "people[1].status: expected one of active, left, got \"gone\"");
  }
}

TEST_CASE("profile: the example's AI workers, typed and as JSON")
{
  auto p = profile::load_profile(example);
  REQUIRE_MESSAGE(p, (p ? "" : p.error().message));
  REQUIRE(p->ai_workers.size() == 3);
  const auto& w = p->ai_workers[0];
  CHECK(w.id == "draft-assistant");
  CHECK(w.owner == "Rivera, Lucía");
  CHECK(w.status == "active");
  REQUIRE(w.permissions.size() == 2);
  CHECK(w.permissions[1].verbs == std::vector<std::string>{"read", "write"});
  REQUIRE(w.memory);
  CHECK(w.memory->retention_days == 30);
  REQUIRE(w.approvals.size() == 1);
  CHECK(w.approvals[0].approver_role == "Legal Engineer");
  CHECK(p->ai_workers[2].status == "retired");

  const auto j = profile::to_json(*p);
  REQUIRE(j.contains("ai_workers"));
  CHECK(j["ai_workers"][1]["permissions"][1]["resource"] == "crm/*");
  CHECK(j["ai_workers"][2].contains("permissions") == false);
  CHECK(profile::to_json(profile::from_document(j)) == j);
}

TEST_CASE("profile::check_actor and check_approver")
{
  auto p = profile::load_profile(example);
  REQUIRE(p);
  CHECK(profile::check_actor(*p, "alice"));
  CHECK(profile::check_actor(*p, "worker:draft-assistant"));
  CHECK(profile::check_actor(*p, "worker:intake-triage"));
  const auto unknown = profile::check_actor(*p, "worker:ghost");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::usage);
  CHECK(unknown.error().message == "unknown AI worker \"ghost\": no worker of the profile has that id");
  const auto retired = profile::check_actor(*p, "worker:legacy-summariser");
  REQUIRE_FALSE(retired);
  CHECK(retired.error().message == "AI worker \"legacy-summariser\" is retired and may not act");

  CHECK(profile::check_approver(*p, "Rivera, Lucía"));
  CHECK_FALSE(profile::check_approver(*p, "Marcus Bell"));
  CHECK_FALSE(profile::check_approver(*p, "worker:draft-assistant"));

  // Without workers, any actor and any person passes (only worker ids are refused as approvers).
  profile::Profile empty;
  CHECK(profile::check_actor(empty, "worker:anything"));
  CHECK(profile::check_approver(empty, "Anyone"));
  CHECK_FALSE(profile::check_approver(empty, "worker:x"));
}
