// Baselines: fingerprints that survive line moves and daily-changing remarks; new, unchanged,
// updated and fixed; --fail-on-new gating; a reader that ignores fields it does not know.

#include "attest/results.hpp"
#include "checks/baseline.hpp"
#include "checks/engine.hpp"
#include "checks/results_json.hpp"

#include <doctest/doctest.h>

using namespace complycli;

namespace {

checks::CheckResult result(const std::string& id, std::vector<checks::Finding> findings)
{
  checks::CheckResult r;
  r.check.id = id;
  r.check.severity = checks::Severity::high;
  r.findings = std::move(findings);
  checks::aggregate(r);
  return r;
}

checks::Finding finding(const std::string& resource, checks::Status status, const std::string& reason,
                        const std::string& file, int64_t line)
{
  checks::Finding f;
  f.resource = resource;
  f.status = status;
  f.reason = reason;
  f.file = file;
  f.line = line;
  return f;
}

checks::Report old_report()
{
  checks::Report report;
  report.results.push_back(result("ssh-no-password-auth", {finding("sshd", checks::Status::fail, "PasswordAuthentication yes",
                                                                   "configs/ssh/sshd_config", 8)}));
  report.results.push_back(result("tls-no-legacy-protocols",
                                  {finding("server api", checks::Status::pass, "TLSv1.3", "configs/nginx/api.conf", 4),
                                   finding("server legacy", checks::Status::fail, "legacy protocols accepted: TLSv1 TLSv1.1",
                                           "configs/nginx/legacy.conf", 9)}));
  report.results.push_back(result("profile-pentest-recent",
                                  {finding("profile", checks::Status::fail, "last: 2025-10-02 (419 days ago; at most 365 allowed)",
                                           "profile.yaml", 66)}));
  return report;
}

checks::Baseline as_baseline(const checks::Report& report)
{
  auto json = checks::results_json(report);
  json["signature"] = {{"alg", "ed25519"}, {"value", "not read"}}; // fields added by others are ignored
  auto baseline = checks::parse_baseline(json.dump(), "old.json");
  REQUIRE_MESSAGE(baseline, (baseline ? "" : baseline.error().message));
  return *baseline;
}

} // namespace

TEST_CASE("checks::fingerprint")
{
  SUBCASE("ignores the line and parenthesised remarks, not the setting")
  {
    const auto a = checks::fingerprint("c", "r", "configs/x.conf", "last: 2025-10-02 (419 days ago)");
    CHECK(a == checks::fingerprint("c", "r", "./configs/x.conf", "last: 2025-10-02  (420 days ago)"));
    CHECK(a != checks::fingerprint("c", "r", "configs/x.conf", "last: 2025-10-03 (419 days ago)"));
    CHECK(a != checks::fingerprint("c", "other", "configs/x.conf", "last: 2025-10-02"));
  }
  SUBCASE("paths are normalised")
  {
    CHECK(checks::normalise_path("./a/../b/c.conf") == "b/c.conf");
    CHECK(checks::normalise_path("https://example.com") == "https://example.com");
    CHECK(checks::normalise_reason("  a   (x (y)) b ") == "a b");
  }
}

TEST_CASE("checks::apply_baseline")
{
  const auto baseline = as_baseline(old_report());
  REQUIRE(baseline.findings.size() == 3); // the pass is not a baseline finding

  SUBCASE("a moved line and a new day are unchanged")
  {
    auto report = old_report();
    report.results[0].findings[0].line = 12;
    report.results[2].findings[0].reason = "last: 2025-10-02 (420 days ago; at most 365 allowed)";
    const auto counts = checks::apply_baseline(report, baseline);
    CHECK(counts.added == 0);
    CHECK(counts.unchanged == 3);
    CHECK(counts.fixed == 0);
    CHECK(report.results[0].findings[0].baseline_state == "unchanged");
    CHECK(report.results[1].findings[0].baseline_state.empty()); // a pass has no state
  }
  SUBCASE("a new failing server is new, and only it gates with --fail-on-new")
  {
    auto report = old_report();
    report.results[1].findings.push_back(finding("server new", checks::Status::fail, "legacy protocols accepted: TLSv1",
                                                 "configs/nginx/new.conf", 3));
    checks::aggregate(report.results[1]);
    checks::apply_baseline(report, baseline);
    CHECK(report.results[1].findings[2].baseline_state == "new");
    CHECK(checks::gate(report) == 4);
    CHECK(checks::gate_new_only(report) == 1);
    CHECK(report.results[1].findings[2].gating);
    CHECK_FALSE(report.results[0].findings[0].gating);
  }
  SUBCASE("a removed server is fixed; a changed setting is updated")
  {
    auto report = old_report();
    report.results[1].findings.pop_back();
    report.results[0].findings[0].reason = "PasswordAuthentication maybe";
    const auto counts = checks::apply_baseline(report, baseline);
    CHECK(counts.fixed == 1);
    REQUIRE(report.fixed.size() == 1);
    CHECK(report.fixed[0].resource == "server legacy");
    CHECK(report.fixed[0].line == 9);
    CHECK(report.results[0].findings[0].baseline_state == "updated");
    CHECK(counts.added == 0);
    auto json = checks::results_json(report);
    CHECK(json["baseline"]["fixed"] == 1);
    CHECK(json["checks"][0]["findings"][0]["baseline_state"] == "updated");
    CHECK(json["checks"][0]["findings"][0]["fingerprint"].get<std::string>().size() == 64);
    const auto sarif = nlohmann::json::parse(checks::render_sarif(report));
    bool absent = false;
    for (const auto& r : sarif["runs"][0]["results"]) {
      absent |= r["baselineState"] == "absent";
    }
    CHECK(absent);
  }
  SUBCASE("two identical findings match one for one")
  {
    auto report = old_report();
    report.results[0].findings.push_back(report.results[0].findings[0]);
    const auto counts = checks::apply_baseline(report, baseline);
    CHECK(counts.unchanged == 3);
    CHECK(counts.added == 1);
  }
}

TEST_CASE("checks::parse_baseline errors")
{
  auto r = checks::parse_baseline("{\n  \"checks\": [\n    }", "old.json");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::parse);
  CHECK(r.error().message.starts_with("old.json:3:"));
  r = checks::parse_baseline("{\"runs\": []}", "old.sarif");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  r = checks::parse_baseline("{\"checks\": [{\"id\": \"x\", \"findings\": [{\"resource\": 3}]}]}", "bad.json");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "bad.json: checks[0].findings[0].resource must be text");
}

TEST_CASE("checks::write_results_json writes what results_json dumps, and the streamed digest is the document's")
{
  const auto written = [](const checks::Report& report, const nlohmann::ordered_json& extra) {
    std::string text;
    std::size_t pieces = 0;
    checks::write_results_json(report, extra, [&](std::string_view piece) {
      text += piece;
      ++pieces;
    });
    CHECK(pieces > report.results.size()); // a check at a time, not one string
    return text;
  };
  auto report = old_report();
  report.generated = "2026-11-25T10:00:00Z";
  report.today = "2026-11-25";
  report.inputs = {"configs/ssh/sshd_config", "caf\xC3\xA9/\"quoted\"\\nginx.conf"};
  report.waiver_problems.push_back({"waivers.yaml", 3, "expired on 2026-01-01"});
  report.results[0].findings[0].reason = "line\nbreak and \"quotes\" \xE2\x80\x94 dash";
  SUBCASE("without a baseline")
  {
    CHECK(written(report, nlohmann::ordered_json::object()) == checks::results_json(report).dump(2) + "\n");
  }
  SUBCASE("after a baseline comparison, with a signature member appended")
  {
    auto old = old_report();
    old.results[0].findings[0].reason = "PasswordAuthentication maybe";
    const auto baseline = checks::parse_baseline(checks::results_json(old).dump(), "old.json");
    REQUIRE(baseline);
    checks::apply_baseline(report, *baseline);
    const nlohmann::ordered_json signature = {{"signature", {{"format", "f"}, {"note", "n\n"}}}};
    auto document = checks::results_json(report);
    document["signature"] = signature["signature"];
    CHECK(written(report, signature) == document.dump(2) + "\n");
    CHECK(document.contains("baseline"));
  }
  SUBCASE("no checks at all")
  {
    checks::Report empty;
    CHECK(written(empty, nlohmann::ordered_json::object()) == checks::results_json(empty).dump(2) + "\n");
  }
  const auto document = checks::results_json(report);
  CHECK(attest::report_results_sha256(report) == attest::sha256_hex(attest::canonical_results(nlohmann::json::parse(document.dump()))));
  report.results[1].findings[0].reason = "TLSv1.2";
  CHECK(attest::report_results_sha256(report) != attest::canonical_results_sha256(document));
}
