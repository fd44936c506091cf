// complycli verify: check a published trust page folder offline, as a customer's counsel would: the
// signed claims manifest, every file's digest, each claim on the page, the log's checkpoint.

#include "commands.hpp"

#include "attest/manifest.hpp"
#include "util/file.hpp"

#include <memory>

namespace complycli::cli {

namespace {

struct VerifyFolderOptions {
  std::string dir;
  std::string pubkey;
  std::vector<std::string> anchors;
};

Result<void> run_verify_folder(const VerifyFolderOptions& o, const Context& ctx)
{
  std::optional<auditlog::PublicKey> key;
  if (!o.pubkey.empty()) {
    key = TRY(attest::load_vkey(o.pubkey));
  }
  std::vector<attest::FolderAnchor> anchors;
  for (const auto& path : o.anchors) {
    anchors.push_back({path, TRY(util::read_file(path))});
  }
  const auto report = TRY(attest::verify_folder(o.dir, key, anchors));
  TRY_VOID(emit("-",
                fmt::format("{}: verified: {} file{}, {} claim{}, log checkpoint of {} entries, {} anchor{}\nkey: {}\n",
                            o.dir, report.files, report.files == 1 ? "" : "s", report.claims,
                            report.claims == 1 ? "" : "s", report.checkpoint_size, report.anchors,
                            report.anchors == 1 ? "" : "s", report.key_vkey),
                util::Overwrite::no));
  if (report.key_from_manifest) {
    ctx.warn("no --pubkey: checked with the key the manifest names; compare it with the log key the company "
             "gave you (`complycli audit pubkey` in their workspace)");
  }
  return {};
}

} // namespace

void register_verify(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<VerifyFolderOptions>();
  auto* sub = app.add_subcommand("verify", "Check a published trust page folder offline (claims.json, files, checkpoint)");
  sub->add_option("dir", options->dir, "The folder trust-page wrote (index.html, security.txt, claims.json)")
      ->required()
      ->type_name("DIR");
  sub->add_option("--pubkey", options->pubkey, "The company's log verifier key (default: the one the manifest names)")
      ->type_name("FILE");
  sub->add_option("--anchor", options->anchors, "A checkpoint of the company's log you kept (repeatable)")
      ->type_name("FILE");
  sub->footer("Exit status: 0 when the folder is as complycli signed it, 1 when anything was edited or does not\n"
              "verify, 2 for bad arguments, 3 when the folder cannot be read.\n"
              "Example:\n  complycli verify public/ --pubkey northwind-log.pub --anchor checkpoint-2026-11.txt");
  sub->callback([options, &ctx] { ctx.outcome = run_verify_folder(*options, ctx); });
}

} // namespace complycli::cli
