#pragma once

// What the document commands (register, dpa, trust-page, answer) share: the options that pick their
// inputs, loading those inputs, writing outputs and recording them in the audit log.

#include "attest/results.hpp"
#include "context.hpp"
#include "render/documents.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace complycli::cli {

struct DocumentOptions {
  std::string profile;      // --profile, else the workspace's profile
  std::string results;      // --results
  std::string pubkey;       // --pubkey: also trust results signed by this verifier key
  std::string date;         // --date YYYY-MM-DD, else SOURCE_DATE_EPOCH, else today
  std::string template_dir; // --template-dir
  std::string output = "-";
  std::string format;
  int max_age = 30;
  bool force = false;
  bool no_footer = false;
};

enum class WithResults { no, optional, required };

// Add --profile, --date, --template-dir, --force, --no-footer, and --results/--max-age as asked.
void add_document_options(CLI::App* sub, DocumentOptions& options, WithResults results);

// Load the profile, results and date the options name. Results must verify (docs/trust-chain.md):
// signed by the workspace's log key or --pubkey, unedited, for this profile, no check id twice; what
// their signature binds goes to `binding` when given.
Result<render::DocumentInputs> load_document_inputs(const DocumentOptions& options, const Context& ctx,
                                                    std::optional<attest::Binding>* binding = nullptr);

// The profile `--profile` names, or the workspace's (settings.json `profile`).
Result<std::filesystem::path> profile_path(const std::string& option, const Context& ctx);

// Write `text` to `path` ("-" for stdout) atomically, refusing to overwrite without `force`.
Result<void> write_document(const std::string& path, const std::string& text, bool force);

// Record `document.<kind>` for `target` in the audit log when a workspace exists, and put the entry's
// sequence number in `inputs.audit_sequence` so that the footer names the entry (the document is then
// rendered again with it). Call it after a first render succeeded and before writing.
void record_document_run(const Context& ctx, const std::string& kind, const std::string& target,
                         render::DocumentInputs& inputs);

// Write the document; if that fails after the run was recorded, record the failure too.
Result<void> write_recorded_document(const Context& ctx, const std::string& kind, const std::string& path,
                                     const std::string& text, const DocumentOptions& options);

// Tell the user (stderr) which claims were left out and why.
void report_unbacked(const Context& ctx, const std::vector<render::Claim>& claims, const char* where);

} // namespace complycli::cli
