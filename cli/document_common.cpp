#include "document_common.hpp"

#include "attest/results.hpp"
#include "auditlog/auditlog.hpp"
#include "core/workspace.hpp"
#include "util/time.hpp"

#include <filesystem>

namespace complycli::cli {

void add_document_options(CLI::App* sub, DocumentOptions& options, WithResults results)
{
  sub->add_option("--profile", options.profile, "Company profile (default: the workspace's profile)");
  if (results != WithResults::no) {
    auto* opt = sub->add_option("--results", options.results, "Check results JSON (complycli check --results)");
    if (results == WithResults::required) {
      opt->required();
    }
    sub->add_option("--pubkey", options.pubkey,
                    "Also accept results signed by this verifier key (another workspace's `complycli audit pubkey`)")
        ->type_name("FILE");
    sub->add_option("--max-age", options.max_age,
                    "Ignore results evaluated more than DAYS days before --date, for claims without max_age (default 30)")
        ->check(CLI::NonNegativeNumber)
        ->type_name("DAYS");
  }
  sub->add_option("--date", options.date, "Date the document carries, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)");
  sub->add_option("--template-dir", options.template_dir, "Use templates from DIR before the built-in ones")
      ->type_name("DIR");
  sub->add_flag("--force", options.force, "Overwrite existing output files");
  sub->add_flag("--no-footer", options.no_footer, "Leave out the provenance footer (profile and results SHA-256)");
}

Result<std::filesystem::path> profile_path(const std::string& option, const Context& ctx)
{
  if (!option.empty()) {
    return std::filesystem::path(option);
  }
  auto workspace = ctx.workspace();
  if (!workspace) {
    return fail_with_hint(Errc::usage, "pass --profile FILE, or run `complycli init --profile FILE` first",
                          "no profile: no --profile and no workspace");
  }
  const auto settings = TRY(core::load_settings(*workspace));
  if (!settings.profile) {
    return fail_with_hint(Errc::usage, "pass --profile FILE", "the workspace has no profile");
  }
  return settings.profile->is_absolute() ? *settings.profile : workspace->project_dir() / *settings.profile;
}

namespace {

// Refuse results that are unsigned, edited, signed by a key the user does not trust, or for another
// profile (docs/trust-chain.md). Trusted: the workspace's log key and --pubkey.
Result<attest::Binding> verify_results(const render::LoadedFile& results, const std::string& profile_sha256,
                            const DocumentOptions& options, const Context& ctx)
{
  attest::VerifyOptions verify;
  verify.file = results.path.string();
  verify.profile_sha256 = profile_sha256;
  if (auto workspace = ctx.workspace()) {
    if (auto log = auditlog::AuditLog::open(*workspace, util::Access::read_only)) {
      if (auto key = log->public_key()) {
        verify.trusted.push_back(*key);
      }
    }
  }
  if (!options.pubkey.empty()) {
    verify.trusted.push_back(TRY(attest::load_vkey(options.pubkey)));
  }
  return attest::verify_results(results.data, verify);
}

} // namespace

Result<render::DocumentInputs> load_document_inputs(const DocumentOptions& options, const Context& ctx,
                                                    std::optional<attest::Binding>* binding)
{
  render::DocumentInputs inputs;
  inputs.date = TRY(render::resolve_date(options.date.empty() ? std::nullopt : std::optional<std::string>(options.date)));
  const auto path = TRY(profile_path(options.profile, ctx));
  inputs.profile = TRY(render::load_profile(path));
  if (!options.results.empty()) {
    inputs.results = TRY(render::load_results(options.results));
    const auto verified = TRY(verify_results(*inputs.results, inputs.profile.sha256, options, ctx));
    if (binding) {
      *binding = verified;
    }
  }
  inputs.max_age_days = options.max_age;
  inputs.footer = !options.no_footer;
  if (!options.template_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.template_dir, ec)) {
      return fail(Errc::usage, "--template-dir {}: no such folder", options.template_dir);
    }
    inputs.dirs.override_dir = options.template_dir;
  }
  return inputs;
}

Result<void> write_document(const std::string& path, const std::string& text, bool force)
{
  return emit(path, text, force ? util::Overwrite::yes : util::Overwrite::no);
}

namespace {

std::string event_target(const std::string& target)
{
  std::error_code ec;
  const auto absolute = target == "-" ? std::filesystem::path("-") : std::filesystem::absolute(target, ec);
  return ec ? target : absolute.lexically_normal().string();
}

} // namespace

void record_document_run(const Context& ctx, const std::string& kind, const std::string& target,
                         render::DocumentInputs& inputs)
{
  auto workspace = ctx.workspace();
  if (!workspace) {
    return;
  }
  nlohmann::json details = {{"profile_sha256", inputs.profile.sha256}};
  if (inputs.results) {
    details["results_sha256"] = inputs.results->sha256;
  }
  details["date"] = util::format_date(inputs.date);
  if (auto seq = ctx.record(*workspace, core::Event{"document." + kind, event_target(target), core::Outcome::ok,
                                                     details})) {
    inputs.audit_sequence = static_cast<std::uint64_t>(*seq);
  }
}

Result<void> write_recorded_document(const Context& ctx, const std::string& kind, const std::string& path,
                                     const std::string& text, const DocumentOptions& options)
{
  auto written = write_document(path, text, options.force);
  if (!written) {
    if (auto workspace = ctx.workspace()) {
      ctx.record(*workspace, core::Event{"document." + kind, event_target(path), core::Outcome::error,
                                         {{"error", written.error().message}}});
    }
  }
  return written;
}

void report_unbacked(const Context& ctx, const std::vector<render::Claim>& claims, const char* where)
{
  for (const auto& claim : claims) {
    if (!claim.backed) {
      std::string reasons;
      for (const auto& reason : claim.reasons) {
        reasons += (reasons.empty() ? "" : "; ") + reason;
      }
      ctx.warn(fmt::format("{} leaves out the claim \"{}\": {}", where, claim.title, reasons));
    }
  }
}

} // namespace complycli::cli
