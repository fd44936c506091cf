// complycli register: the subprocessor register; `register diff OLD NEW`: what changed, with the
// GDPR Art. 28(2) notice to customers.

#include "commands.hpp"
#include "document_common.hpp"

#include <memory>

namespace complycli::cli {

namespace {

struct DiffOptions {
  std::string old_profile;
  std::string new_profile;
};

Result<void> run_register(const DocumentOptions& options, const Context& ctx)
{
  using render::DocFormat;
  const auto format = TRY(render::parse_doc_format(options.format.empty() ? "md" : options.format,
                                                   {DocFormat::md, DocFormat::html, DocFormat::csv, DocFormat::json}));
  auto inputs = TRY(load_document_inputs(options, ctx));
  auto rendered = TRY(render::render_register(inputs, format));
  for (const auto& w : rendered.warnings) {
    ctx.warn(w);
  }
  record_document_run(ctx, "register", options.output, inputs);
  if (inputs.audit_sequence) {
    rendered = TRY(render::render_register(inputs, format));
  }
  TRY_VOID(write_recorded_document(ctx, "register", options.output, rendered.text, options));
  if (options.output != "-") {
    ctx.info(fmt::format("Wrote the subprocessor register to {}", options.output));
  }
  return {};
}

Result<void> run_register_diff(const DiffOptions& diff, const DocumentOptions& options, const Context& ctx)
{
  using render::DocFormat;
  const auto format =
      TRY(render::parse_doc_format(options.format.empty() ? "md" : options.format, {DocFormat::md, DocFormat::json}));
  DocumentOptions new_options = options;
  new_options.profile = diff.new_profile;
  auto inputs = TRY(load_document_inputs(new_options, ctx));
  const auto old_profile = TRY(render::load_profile(diff.old_profile));
  auto rendered = TRY(render::render_register_diff(old_profile, inputs, format));
  record_document_run(ctx, "register-diff", options.output, inputs);
  if (inputs.audit_sequence) {
    rendered = TRY(render::render_register_diff(old_profile, inputs, format));
  }
  TRY_VOID(write_recorded_document(ctx, "register-diff", options.output, rendered.text, options));
  ctx.info(fmt::format("{} added, {} removed, {} changed", rendered.added, rendered.removed, rendered.changed));
  return {};
}

} // namespace

void register_register(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<DocumentOptions>();
  auto* sub = app.add_subcommand("register", "Render the subprocessor register from the company profile");
  add_document_options(sub, *options, WithResults::no);
  sub->add_option("--format", options->format, "md (default), html, csv or json")->type_name("FORMAT");
  sub->add_option("-o,--output", options->output, "Where to write, - for stdout (default)")->type_name("FILE");
  sub->footer("Example:\n  complycli register --format html -o subprocessors.html\n"
              "  complycli register diff old-profile.yaml examples/northwind-legal/profile.yaml");

  auto diff = std::make_shared<DiffOptions>();
  auto diff_options = std::make_shared<DocumentOptions>();
  auto* diff_sub = sub->add_subcommand(
      "diff", "List subprocessors added, removed or changed between two profiles, with the Art. 28(2) notice");
  diff_sub->add_option("old", diff->old_profile, "The earlier profile")->required();
  diff_sub->add_option("new", diff->new_profile, "The new profile")->required();
  diff_sub->add_option("--date", diff_options->date, "Date of the notice, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)");
  diff_sub->add_option("--template-dir", diff_options->template_dir, "Use templates from DIR before the built-in ones")
      ->type_name("DIR");
  diff_sub->add_option("--format", diff_options->format, "md (default) or json")->type_name("FORMAT");
  diff_sub->add_option("-o,--output", diff_options->output, "Where to write, - for stdout (default)")->type_name("FILE");
  diff_sub->add_flag("--force", diff_options->force, "Overwrite an existing output file");
  diff_sub->add_flag("--no-footer", diff_options->no_footer, "Leave out the provenance footer");
  diff_sub->footer("Example:\n  complycli register diff old-profile.yaml examples/northwind-legal/profile.yaml -o notice.md");
  diff_sub->callback([diff, diff_options, &ctx] { ctx.outcome = run_register_diff(*diff, *diff_options, ctx); });

  sub->callback([options, diff_sub, &ctx] {
    if (!diff_sub->parsed()) {
      ctx.outcome = run_register(*options, ctx);
    }
  });
}

} // namespace complycli::cli
