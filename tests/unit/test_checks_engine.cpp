// Check definitions (validation with file:line:column), evaluation, waivers and gating.

#include "checks/check.hpp"
#include "checks/engine.hpp"
#include "checks/results_json.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace complycli;

namespace {

const char* const good = "id: my-check\n"
                         "title: A check\n"
                         "severity: high\n"
                         "rationale: because\n"
                         "remediation: fix it\n"
                         "controls:\n"
                         "  soc2: [CC6.1]\n"
                         "query: |\n"
                         "  SELECT name AS resource, CASE WHEN value = 'no' THEN 'pass' ELSE 'fail' END AS status,\n"
                         "         'value ' || value AS reason, file, line FROM sshd_options WHERE name = 'permitrootlogin'\n";

std::string with(std::string text, const std::string& from, const std::string& to)
{
  text.replace(text.find(from), from.size(), to);
  return text;
}

} // namespace

TEST_CASE("checks::parse_check")
{
  SUBCASE("a valid check")
  {
    auto check = checks::parse_check(good, "checks/my-check.yaml");
    REQUIRE_MESSAGE(check, (check ? "" : check.error().message));
    CHECK(check->severity == checks::Severity::high);
    CHECK(check->controls.at("soc2") == std::vector<std::string>{"CC6.1"});
    CHECK(check->line == 8);
    CHECK(check->maps_to("soc2", "CC6.1"));
    CHECK_FALSE(check->maps_to("hipaa"));
  }
  SUBCASE("every mistake names file:line:column")
  {
    const std::pair<std::string, std::string> cases[] = {
        {with(good, "severity: high", "severity: urgent"), "x/my-check.yaml:3:11: severity must be low, medium, high or critical"},
        {with(good, "title: A check\n", ""), "x/my-check.yaml:1:1: missing required key \"title\""},
        {with(good, "soc2: [CC6.1]", "pci: [1.1]"), "x/my-check.yaml:7:3: unknown framework \"pci\""},
        {with(good, "soc2: [CC6.1]", "soc2: []"), "x/my-check.yaml:7:9: controls.soc2 must be a non-empty list"},
        {with(good, "id: my-check", "id: other"), "x/my-check.yaml:1:5: id \"other\" does not match the file name"},
        {with(good, "title:", "titel:"), "x/my-check.yaml:2:1: unknown key \"titel\""},
        {with(good, "FROM sshd_options", "FROM nowhere"), "x/my-check.yaml:8:8: query does not compile: no such table: nowhere"},
        {with(good, "'value ' || value AS reason", "value AS why"), "query must return columns resource, status, reason, file, line (it returns resource, status, why, file, line)"},
        {"id: [unclosed\n", "x/my-check.yaml:2:1: "},
    };
    for (const auto& [text, expected] : cases) {
      CAPTURE(expected);
      auto check = checks::parse_check(text, "x/my-check.yaml");
      REQUIRE_FALSE(check);
      CHECK(check.error().message.find(expected) != std::string::npos);
      CHECK((check.error().code == Errc::config || check.error().code == Errc::parse));
    }
  }
}

TEST_CASE("checks::evaluate, waivers and gating")
{
  test::TestContext t;
  REQUIRE(util::write_file_atomic(t.path("sshd_config"), "PermitRootLogin yes\nMatch User a\n  PermitRootLogin no\n",
                                  util::Overwrite::no));
  auto check = checks::parse_check(good, "checks/my-check.yaml");
  REQUIRE(check);
  evidence::Sources sources;
  sources.paths = {t.dir()};
  sources.today = "2026-11-25";
  auto evidence = evidence::collect(sources);
  REQUIRE(evidence);

  checks::Report report;
  report.results = checks::evaluate({*check}, evidence->db);
  REQUIRE(report.results.size() == 1);
  auto& result = report.results.front();
  CHECK(result.status == checks::Status::fail);
  REQUIRE(result.findings.size() == 2);
  CHECK(checks::gate(report) == 1);
  report.fail_on = checks::Severity::critical;
  CHECK(checks::gate(report) == 0);
  report.fail_on = checks::Severity::high;

  REQUIRE(util::write_file_atomic(t.path("waivers.yaml"),
                                  "- {check: my-check, resource: 'perm*', reason: r, owner: o, expires: 2026-12-31}\n"
                                  "- {check: my-check, reason: r, owner: o, expires: 2026-11-24}\n"
                                  "- {check: my-check, owner: o, expires: 2027-01-01}\n"
                                  "- {check: my-check, reason: r, owner: o, expires: soon}\n",
                                  util::Overwrite::no));
  auto waivers = checks::load_waivers(t.path("waivers.yaml"), "2026-11-25");
  REQUIRE(waivers);
  CHECK(waivers->active.size() == 1);
  REQUIRE(waivers->problems.size() == 3);
  CHECK(waivers->problems[0].line == 2);
  CHECK(waivers->problems[0].message.find("expired") != std::string::npos);
  CHECK(waivers->problems[1].message.find("missing reason") != std::string::npos);
  CHECK(waivers->problems[2].message.find("not a date") != std::string::npos);
  checks::apply_waivers(report.results, *waivers);
  CHECK(checks::gate(report) == 0);
  CHECK(result.waived == 1);
  CHECK(result.status == checks::Status::pass); // the other finding (Match block) passes

  const auto json = checks::results_json(report);
  CHECK(json["summary"]["waived"] == 1);
  CHECK(json["checks"][0]["findings"][0]["waived"] == true);

  auto broken = util::write_file_atomic(t.path("bad.yaml"), "waivers: {check: x}\n", util::Overwrite::no);
  REQUIRE(broken);
  auto bad = checks::load_waivers(t.path("bad.yaml"), "2026-11-25");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::config);
  CHECK(bad.error().message.find("bad.yaml:1:10:") != std::string::npos);
}

TEST_CASE("checks::resolve_today")
{
  CHECK(checks::resolve_today("2026-01-02").value() == "2026-01-02");
  CHECK_FALSE(checks::resolve_today("2026-13-01"));
}

TEST_CASE("checks: check definitions and waivers that are not UTF-8 are parse errors")
{
  const auto check = checks::parse_check("id: x\ntitle: caf\xE9\n", "x.yaml");
  REQUIRE_FALSE(check);
  CHECK(check.error().code == Errc::parse);
  CHECK(check.error().message.starts_with("x.yaml:2:11: byte 0xE9 is not UTF-8 (expected UTF-8 text"));
  const auto waivers = checks::parse_waivers("- check: x\n  reason: \xFF\n", "w.yaml", "2026-01-01");
  REQUIRE_FALSE(waivers);
  CHECK(waivers.error().message.starts_with("w.yaml:2:11: byte 0xFF is not UTF-8 (expected UTF-8 text"));
}
