// complycli trust-page: the public Security & Privacy page and security.txt, stating only the claims
// that the latest check results back.

#include "commands.hpp"
#include "document_common.hpp"

#include "attest/manifest.hpp"
#include "auditlog/auditlog.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

#include <filesystem>
#include <memory>

namespace complycli::cli {

namespace {

struct TrustPageOptions {
  std::string dir = "trust-page";
  bool strict = false;
};

Result<void> run_trust_page(const DocumentOptions& options, const TrustPageOptions& page_options, const Context& ctx)
{
  using render::DocFormat;
  const auto format =
      TRY(render::parse_doc_format(options.format.empty() ? "html" : options.format, {DocFormat::html, DocFormat::md}));
  std::optional<attest::Binding> binding;
  auto inputs = TRY(load_document_inputs(options, ctx, &binding));
  auto workspace = ctx.workspace();
  if (workspace && binding) {
    if (auto log = auditlog::AuditLog::open(*workspace, util::Access::read_only)) {
      if (auto key = log->public_key()) {
        inputs.log_vkey = key->vkey();
      }
    }
  }
  auto page = TRY(render::render_trust_page(inputs, format));
  report_unbacked(ctx, page.claims, "the trust page");
  for (const auto& w : page.warnings) {
    ctx.warn(w);
  }

  const std::filesystem::path dir = page_options.dir;
  const auto index = dir / fmt::format("index.{}", render::extension(format));
  const auto security_txt = dir / "security.txt";
  const auto manifest_path = dir / attest::manifest_name;
  std::error_code ec;
  if (!options.force) {
    for (const auto& path : {index, security_txt, manifest_path}) {
      if (std::filesystem::exists(path, ec)) {
        return fail_with_hint(Errc::io, "pass --force to replace it", "{} already exists", path.string());
      }
    }
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(Errc::io, "cannot create {}: {}", dir.string(), ec.message());
  }
  record_document_run(ctx, "trust-page", index.string(), inputs);
  // The footer's audit entry with its inclusion proof beside the page, so that a customer checks it with
  // `complycli audit verify-proof` alone (docs/audit-log.md, "Proofs").
  std::vector<std::pair<std::filesystem::path, std::string>> proof_files;
  if (inputs.audit_sequence && workspace && inputs.footer) {
    const auto seq = static_cast<int64_t>(*inputs.audit_sequence);
    auto log = TRY(auditlog::AuditLog::open(*workspace));
    const auto proof = TRY(log.prove(seq));
    const auto entry = TRY(log.get(seq));
    if (entry) {
      nlohmann::ordered_json json = auditlog::entry_to_json(*entry);
      const auto leaf = auditlog::entry_leaf_data(*entry);
      json["leaf"] = auditlog::base64_encode(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size()));
      inputs.audit_proof_stem = fmt::format("audit-entry-{}", seq);
      proof_files.emplace_back(dir / (*inputs.audit_proof_stem + ".tlog-proof"), auditlog::format_proof(proof));
      proof_files.emplace_back(dir / (*inputs.audit_proof_stem + ".json"),
                               json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    }
  }
  if (inputs.audit_sequence) {
    page = TRY(render::render_trust_page(inputs, format));
  }
  // The signed claims manifest a customer checks with `complycli verify DIR` (docs/trust-chain.md).
  std::string manifest;
  if (workspace && binding && inputs.log_vkey) {
    attest::ManifestInputs m;
    m.document_date = util::format_date(inputs.date);
    m.profile_sha256 = inputs.profile.sha256;
    m.results = *binding;
    auto log = TRY(auditlog::AuditLog::open(*workspace));
    m.checkpoint = TRY(log.checkpoint()).note;
    m.files = {{index.filename().string(), page.page}, {"security.txt", page.security_txt}};
    for (const auto& claim : page.claims) {
      if (!claim.backed) {
        continue;
      }
      attest::PublishedClaim published{claim.id, claim.title, claim.title, {}};
      std::string ids;
      for (const auto& id : claim.checks) {
        std::string status = "missing";
        for (const auto& check : inputs.results->data["checks"]) {
          if (check.value("id", "") == id) {
            status = check.value("status", "");
          }
        }
        published.checks.emplace_back(id, status);
        ids += (ids.empty() ? "" : ", ") + id;
      }
      if (!ids.empty()) {
        published.sentence = "Verified by checks: " + ids;
      }
      if (page.page.find(published.sentence) == std::string::npos) {
        continue; // a template that does not state this claim
      }
      m.claims.push_back(std::move(published));
    }
    const auto key = TRY(attest::load_log_key(workspace->log_key_path()));
    manifest = attest::claims_manifest(m, key).dump(2) + "\n";
  } else {
    ctx.warn(fmt::format("{} is not written: {}", manifest_path.string(),
                         workspace ? "the results were not verified" : "no workspace holds a log key to sign it"));
  }
  TRY_VOID(write_recorded_document(ctx, "trust-page", index.string(), page.page, options));
  TRY_VOID(write_recorded_document(ctx, "trust-page", security_txt.string(), page.security_txt, options));
  for (const auto& [path, text] : proof_files) {
    // Named after the entry, so never an earlier run's file: replace one only with --force.
    TRY_VOID(util::write_file_atomic(path, text, options.force ? util::Overwrite::yes : util::Overwrite::no));
  }
  if (!manifest.empty()) {
    TRY_VOID(write_recorded_document(ctx, "trust-page", manifest_path.string(), manifest, options));
    ctx.info(fmt::format("Wrote {}, {} and {}; check them with `complycli verify {}`", index.string(),
                         security_txt.string(), manifest_path.string(), dir.string()));
  } else {
    ctx.info(fmt::format("Wrote {} and {}", index.string(), security_txt.string()));
  }

  std::size_t unbacked = 0;
  for (const auto& claim : page.claims) {
    unbacked += claim.backed ? 0 : 1;
  }
  if (page_options.strict && unbacked > 0) {
    return fail(Errc::check_failed, "{} claim{} not backed by the check results (--strict)", unbacked,
                unbacked == 1 ? " is" : "s are");
  }
  return {};
}

} // namespace

void register_trust_page(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<DocumentOptions>();
  auto page_options = std::make_shared<TrustPageOptions>();
  auto* sub = app.add_subcommand("trust-page", "Render the public Security & Privacy page and security.txt");
  add_document_options(sub, *options, WithResults::required);
  sub->add_option("--format", options->format, "html (default) or md")->type_name("FORMAT");
  sub->add_option("-o,--output", page_options->dir, "Folder to write index.html (or index.md) and security.txt into")
      ->type_name("DIR");
  sub->add_flag("--strict", page_options->strict, "Exit 1 when a claim is left out because the results do not back it");
  sub->footer("In a workspace, also writes claims.json, the claims manifest signed with the audit log key, which\n"
              "`complycli verify DIR` checks offline.\n"
              "Example:\n  complycli trust-page --results results.json -o public/");
  sub->callback([options, page_options, &ctx] { ctx.outcome = run_trust_page(*options, *page_options, ctx); });
}

} // namespace complycli::cli
