// complycli trust-page: the public Security & Privacy page and security.txt, stating only the claims
// that the latest check results back.

#include "commands.hpp"
#include "document_common.hpp"

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
  auto inputs = TRY(load_document_inputs(options, ctx));
  auto page = TRY(render::render_trust_page(inputs, format));
  report_unbacked(ctx, page.claims, "the trust page");

  const std::filesystem::path dir = page_options.dir;
  const auto index = dir / fmt::format("index.{}", render::extension(format));
  const auto security_txt = dir / "security.txt";
  std::error_code ec;
  if (!options.force) {
    for (const auto& path : {index, security_txt}) {
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
  if (inputs.audit_sequence) {
    page = TRY(render::render_trust_page(inputs, format));
  }
  TRY_VOID(write_recorded_document(ctx, "trust-page", index.string(), page.page, options));
  TRY_VOID(write_recorded_document(ctx, "trust-page", security_txt.string(), page.security_txt, options));
  ctx.info(fmt::format("Wrote {} and {}", index.string(), security_txt.string()));

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
  sub->footer("Example:\n  complycli trust-page --results results.json -o public/");
  sub->callback([options, page_options, &ctx] { ctx.outcome = run_trust_page(*options, *page_options, ctx); });
}

} // namespace complycli::cli
