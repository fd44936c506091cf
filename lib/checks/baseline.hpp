#pragma once

// Baselines for CI: compare a run's failing findings with an earlier run's JSON results, so that a
// pull request fails only on the findings it adds. A finding is identified by a fingerprint that
// survives line moves: the check id, the resource, the normalised file path and the offending setting
// (the reason with its parenthesised, time-dependent remarks such as "(419 days ago)" removed), never
// the line number. Returns data; never prints.

#include "checks/engine.hpp"
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::checks {

// Whether a finding counts for baselines, SARIF and gating: any status but pass and skip.
bool is_problem(Status status);

// `file` with "./" and ".." folded, and made relative to the current folder when it lies under it,
// so that `configs/x` and `/abs/checkout/configs/x` agree.
std::string normalise_path(std::string_view file);

// `reason` without parenthesised remarks, whitespace collapsed: "2025-10-02 (419 days ago)" becomes
// "2025-10-02", so the finding keeps its identity from one day to the next.
std::string normalise_reason(std::string_view reason);

// sha256 hex of check id, resource, normalised file and normalised reason: the finding's identity.
std::string fingerprint(std::string_view check, std::string_view resource, std::string_view file, std::string_view reason);
// The same without the reason: the finding's place, used to tell "updated" (same check, resource and
// file, different setting) from "new".
std::string location_key(std::string_view check, std::string_view resource, std::string_view file);

// The failing findings of an earlier run.
struct Baseline {
  std::string file;
  std::vector<FixedFinding> findings; // every finding whose status is not pass or skip
};

// Read JSON results (`check --results`, `check --format json`). Only `checks[].id` and
// `checks[].findings[]` are read; other fields (signatures, summaries, ...) are ignored. Text that is
// not JSON is Errc::parse with file:line:column; JSON of another shape is Errc::config.
Result<Baseline> parse_baseline(const std::string& text, const std::string& file);
Result<Baseline> load_baseline(const std::filesystem::path& file);

struct BaselineCounts {
  std::size_t added = 0, unchanged = 0, updated = 0, fixed = 0;
};

// Mark each failing finding of `report` as "new", "unchanged" (same fingerprint in the baseline) or
// "updated" (same check, resource and file, different setting), and list the baseline's findings
// that no longer fail in `report.fixed`. Sets `report.baseline` to `baseline.file`.
BaselineCounts apply_baseline(Report& report, const Baseline& baseline);

// Count the states `apply_baseline` left in `report`.
BaselineCounts baseline_counts(const Report& report);

// --fail-on-new: after `gate`, keep gating only the findings that are new. Returns how many gate.
std::size_t gate_new_only(Report& report);

// A few lines for the table report: the counts and the new and fixed findings; empty without a baseline.
std::string render_baseline_text(const Report& report);

} // namespace complycli::checks
