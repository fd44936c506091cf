// complycli dpa: a data processing agreement stub (GDPR Art. 28(3)) for one customer, with Annex II
// built from the checks that passed.

#include "commands.hpp"
#include "document_common.hpp"

#include <memory>

namespace complycli::cli {

namespace {

Result<void> run_dpa(const DocumentOptions& options, const render::Customer& customer, const Context& ctx)
{
  using render::DocFormat;
  const auto format =
      TRY(render::parse_doc_format(options.format.empty() ? "md" : options.format, {DocFormat::md, DocFormat::html}));
  if (customer.name.empty()) {
    return fail(Errc::usage, "--customer must not be empty");
  }
  auto inputs = TRY(load_document_inputs(options, ctx));
  auto rendered = TRY(render::render_dpa(inputs, customer, format));
  report_unbacked(ctx, rendered.claims, "Annex II");
  record_document_run(ctx, "dpa", options.output, inputs);
  if (inputs.audit_sequence) {
    rendered = TRY(render::render_dpa(inputs, customer, format));
  }
  TRY_VOID(write_recorded_document(ctx, "dpa", options.output, rendered.text, options));
  if (options.output != "-") {
    ctx.info(fmt::format("Wrote the DPA draft for {} to {}", customer.name, options.output));
  }
  return {};
}

} // namespace

void register_dpa(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<DocumentOptions>();
  auto customer = std::make_shared<render::Customer>();
  auto* sub = app.add_subcommand("dpa", "Render a data processing agreement draft (GDPR Art. 28) for a customer");
  sub->add_option("--customer", customer->name, "The customer's legal name (the controller)")->required();
  sub->add_option("--customer-address", customer->address, "The customer's address");
  add_document_options(sub, *options, WithResults::required);
  sub->add_option("--format", options->format, "md (default) or html")->type_name("FORMAT");
  sub->add_option("-o,--output", options->output, "Where to write, - for stdout (default)")->type_name("FILE");
  sub->footer("Example:\n  complycli dpa --customer \"Acme LLP\" --results results.json -o dpa-acme.md");
  sub->callback([options, customer, &ctx] { ctx.outcome = run_dpa(*options, *customer, ctx); });
}

} // namespace complycli::cli
