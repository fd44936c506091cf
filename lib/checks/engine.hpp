#pragma once

// Evaluating checks over the evidence, applying waivers, deciding which findings gate a build.
// Returns findings; never prints.

#include "checks/check.hpp"
#include "core/error.hpp"
#include "evidence/database.hpp"
#include "evidence/evidence.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace complycli::checks {

struct Finding {
  std::string resource;
  Status status = Status::skip;
  std::string reason;
  std::string file;
  std::optional<int64_t> line;
  bool waived = false;
  std::string waiver; // "reason (owner, until DATE)" when waived
  bool gating = false; // set by `gate`
  std::string baseline_state; // "new", "unchanged" or "updated" after apply_baseline (baseline.hpp)
};

struct CheckResult {
  Check check;
  Status status = Status::skip; // aggregate: fail > error > unknown > pass > skip; waived findings do not fail
  std::vector<Finding> findings;
  std::size_t waived = 0;
};

// Run every check's query. A check that returns no rows is skipped ("no evidence"); a query that
// fails at run time, or returns a status that is not pass|fail|skip|error|unknown, yields an error finding.
std::vector<CheckResult> evaluate(const std::vector<Check>& checks, const evidence::Database& db);

// Recompute a result's aggregate status from its findings.
void aggregate(CheckResult& result);

struct Waiver {
  std::string check;
  std::string resource = "*"; // shell glob over the finding's resource
  std::string reason;
  std::string owner;
  std::string expires;        // YYYY-MM-DD
  std::string file;
  int line = 0;
};

// A waiver that does not apply: expired or malformed.
struct WaiverProblem {
  std::string file;
  int line = 0;
  std::string message;
};

struct Waivers {
  std::vector<Waiver> active;
  std::vector<WaiverProblem> problems;
};

// Read a waiver file: a YAML list (or `waivers:` holding one) of {check, resource, reason, owner,
// expires}. A file that does not parse, or is not such a list, is Errc::parse/config with
// file:line:column; an entry that is malformed or expired (before `today`) does not apply and is
// listed in `problems`.
Result<Waivers> load_waivers(const std::filesystem::path& file, const std::string& today);
// The same for text already in memory; `file` names it in messages.
Result<Waivers> parse_waivers(const std::string& text, const std::string& file, const std::string& today);

// Mark failing, erroring and unknown findings that an active waiver covers as waived, and re-aggregate.
// Returns the active waivers for checks in `results` that matched no finding (stale waivers).
std::vector<WaiverProblem> apply_waivers(std::vector<CheckResult>& results, const Waivers& waivers);

// A failing finding of the baseline that the current run no longer has (baseline.hpp).
struct FixedFinding {
  std::string check;
  std::string resource;
  std::string status;
  std::string reason;
  std::string file;
  std::optional<int64_t> line;
  std::string fingerprint;
};

struct Report {
  std::vector<CheckResult> results;
  std::vector<WaiverProblem> waiver_problems;
  std::vector<std::string> inputs;
  std::optional<evidence::ProfileRef> profile;
  std::string generated; // RFC 3339
  std::string today;     // YYYY-MM-DD
  Severity fail_on = Severity::high;
  std::string framework; // for grouping the table (default soc2)
  std::string control;   // when set, the table shows only this control of `framework`
  std::string baseline;  // the --baseline file, when one was compared (baseline.hpp)
  std::vector<FixedFinding> fixed; // the baseline's failing findings this run no longer has
};

// Mark findings that gate: status fail, error or unknown, not waived, severity at or above `report.fail_on`.
// Returns how many gate.
std::size_t gate(Report& report);

struct Summary {
  std::size_t pass = 0, fail = 0, skip = 0, error = 0, unknown = 0, waived = 0, gating = 0;
};
Summary summarise(const Report& report);

// The JSON results (RESULTS-CONTRACT.md) are in results_json.hpp.

// The other report formats.
std::string render_table(const Report& report, bool colour);
std::string render_markdown(const Report& report);
std::string render_sarif(const Report& report);
std::string render_junit(const Report& report);

// "Today" for age checks: `date` (YYYY-MM-DD) when given, else SOURCE_DATE_EPOCH, else the clock.
Result<std::string> resolve_today(const std::string& date);

} // namespace complycli::checks
