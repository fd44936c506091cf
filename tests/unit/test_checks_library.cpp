// The check library under checks/: every check loads, has a passing and a failing fixture that
// behave as such, the ids other commands rely on exist, and no two controls share a check list.

#include "test_support.hpp"

#include "auditlog/auditlog.hpp"
#include "checks/check.hpp"
#include "checks/engine.hpp"
#include "evidence/evidence.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <map>
#include <set>

using namespace complycli;
namespace fs = std::filesystem;

namespace {

std::vector<checks::Check> library()
{
  auto loaded = checks::load_checks({fs::path(COMPLYCLI_SOURCE_DIR) / "checks"});
  REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().message));
  return *loaded;
}

// A fixture's audit.jsonl, appended line by line to a fresh log in `dir`; an approval that cites an
// entry by seq without a hash gets that entry's hash (tests/data/checks/ai-worker-approvals-logged/README.md).
void build_audit_log(const fs::path& jsonl, const fs::path& dir)
{
  auto log = auditlog::AuditLog::open(dir / "audit.db", dir / "log.key");
  REQUIRE_MESSAGE(log, (log ? "" : log.error().message));
  auto text = util::read_file(jsonl);
  REQUIRE(text);
  std::map<int64_t, std::string> hashes;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    auditlog::NewEntry entry;
    entry.actor = j.value("actor", "test");
    entry.action = j.at("action");
    entry.target = j.at("target");
    entry.time = j.value("time", "");
    entry.details = j.value("details", nlohmann::json::object());
    if (entry.details.contains("approves") && !entry.details["approves"].contains("hash")) {
      entry.details["approves"]["hash"] = hashes[entry.details["approves"]["seq"].get<int64_t>()];
    }
    auto appended = log->append(entry);
    REQUIRE_MESSAGE(appended, (appended ? "" : appended.error().message));
    hashes[appended->seq] = util::to_hex(appended->hash);
  }
}

checks::CheckResult run_on(const checks::Check& check, const fs::path& folder)
{
  test::TestContext context;
  evidence::Sources sources;
  if (fs::exists(folder / "audit.jsonl")) {
    build_audit_log(folder / "audit.jsonl", context.dir());
    sources.audit_db = context.path("audit.db");
    sources.audit_key = context.path("log.key");
  }
  sources.paths = {folder};
  sources.today = "2026-11-25";
  sources.generated = "2026-11-25T00:00:00.000000Z";
  auto evidence = evidence::collect(sources);
  REQUIRE_MESSAGE(evidence, (evidence ? "" : evidence.error().message));
  return checks::evaluate({check}, evidence->db).front();
}

std::string describe(const checks::CheckResult& result)
{
  std::string out;
  for (const auto& f : result.findings) {
    out += fmt::format("\n  {} {}: {} ({}:{})", checks::to_string(f.status), f.resource, f.reason, f.file,
                       f.line ? *f.line : 0);
  }
  return out.empty() ? " (no findings)" : out;
}

} // namespace

TEST_CASE("checks library: size and the ids other commands rely on")
{
  const auto all = library();
  CHECK(all.size() >= 40);
  std::set<std::string> ids;
  for (const auto& c : all) {
    ids.insert(c.id);
  }
  for (const char* id : {"tls-no-legacy-protocols", "tls-strong-ciphers", "http-hsts", "postgres-ssl-min-tls12",
                         "tf-rds-encrypted", "tf-s3-encrypted", "tf-ebs-encrypted", "profile-mfa-enforced",
                         "profile-sso-enforced", "profile-account-lockout", "ssh-no-password-auth", "ssh-no-root-login",
                         "tf-cloudtrail-log-validation", "profile-audit-logging", "ai-zero-data-retention", "ai-no-training",
                         "subprocessor-dpa-signed", "subprocessor-certification-valid", "subprocessor-regions-allowed",
                         "profile-vulnerability-disclosure", "profile-pentest-recent", "profile-backup-restore-tested"}) {
    CHECK_MESSAGE(ids.count(id), id);
  }
}

TEST_CASE("checks library: every check passes on its pass fixture and fails on its fail fixture")
{
  const fs::path fixtures = fs::path(COMPLYCLI_TEST_DATA) / "checks";
  for (const auto& check : library()) {
    CAPTURE(check.id);
    const auto pass_dir = fixtures / check.id / "pass";
    const auto fail_dir = fixtures / check.id / "fail";
    REQUIRE_MESSAGE(fs::is_directory(pass_dir), check.id << " has no pass fixture");
    REQUIRE_MESSAGE(fs::is_directory(fail_dir), check.id << " has no fail fixture");

    const auto passed = run_on(check, pass_dir);
    CHECK_MESSAGE(passed.status == checks::Status::pass, check.id << " on pass/:" << describe(passed));
    for (const auto& f : passed.findings) {
      CHECK_MESSAGE(f.status == checks::Status::pass, check.id << " on pass/:" << describe(passed));
    }

    const auto failed = run_on(check, fail_dir);
    const auto expected = check.id == "inputs-parse" ? checks::Status::error : checks::Status::fail;
    CHECK_MESSAGE(failed.status == expected, check.id << " on fail/:" << describe(failed));
    for (const auto& f : failed.findings) {
      if (f.status != checks::Status::pass) {
        CHECK_MESSAGE(!f.file.empty(), check.id << ": a failing finding names its file");
      }
    }
  }
}

TEST_CASE("checks library: a check with no evidence is skipped, never passed")
{
  evidence::Sources sources;
  sources.today = "2026-11-25";
  sources.generated = "2026-11-25T00:00:00.000000Z";
  auto evidence = evidence::collect(sources);
  REQUIRE(evidence);
  for (const auto& result : checks::evaluate(library(), evidence->db)) {
    CAPTURE(result.check.id);
    CHECK(result.status == checks::Status::skip);
    CHECK(result.findings.empty());
  }
}

TEST_CASE("checks library: control mappings")
{
  const auto all = library();
  std::set<std::string> ids;
  for (const auto& c : all) {
    ids.insert(c.id);
  }
  for (const auto& framework : checks::frameworks) {
    std::map<std::string, std::set<std::string>> by_control;
    for (const auto& c : all) {
      if (auto it = c.controls.find(framework); it != c.controls.end()) {
        for (const auto& control : it->second) {
          by_control[control].insert(c.id);
        }
      }
    }
    CHECK_MESSAGE(!by_control.empty(), framework << " has no controls");
    std::map<std::set<std::string>, std::string> seen;
    for (const auto& [control, list] : by_control) {
      for (const auto& id : list) {
        CHECK_MESSAGE(ids.count(id), control << " names a check that does not exist: " << id);
      }
      auto [it, inserted] = seen.emplace(list, control);
      CHECK_MESSAGE(inserted, framework << " " << control << " has the same check list as " << it->second);
    }
  }
}
