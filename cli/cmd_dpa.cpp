// complycli dpa: a data processing agreement draft (GDPR Art. 28(3)) for one customer: Annex II states
// the measures the profile commits to; the measures the checks do not back go to a private gap report.

#include "commands.hpp"
#include "document_common.hpp"

#include "util/time.hpp"

#include <algorithm>
#include <memory>
#include <set>

namespace complycli::cli {

namespace {

// The private gap report (`--gaps FILE`): each Annex II measure the check results do not back, and
// why (failing, waived, stale or missing checks), for the processor's counsel to fix or to negotiate
// before signature. The DPA itself still commits to the measures: contract terms are never dropped
// because a check failed.
std::string gap_report(const render::Customer& customer, const render::DocumentInputs& inputs,
                       const std::vector<render::Claim>& claims, const std::vector<std::string>& warnings)
{
  std::string out = fmt::format("# PRIVATE: DPA gap report for {}\n\nDraft date {}. Not for the customer: the Annex II "
                                "measures the processor commits to that the check results do not back, and why.\n\n",
                                customer.name, util::format_date(inputs.date));
  std::size_t gaps = 0;
  for (const auto& claim : claims) {
    if (claim.backed) {
      continue;
    }
    ++gaps;
    out += fmt::format("- **{}**{}\n", claim.title, claim.waived ? " (waived: a failure accepted for now)" : "");
    for (const auto& reason : claim.reasons) {
      out += fmt::format("  - {}\n", reason);
    }
  }
  if (gaps == 0) {
    out += "No gaps: the check results back every measure.\n";
  }
  if (!warnings.empty()) {
    out += "\n## Consistency\n\n";
    for (const auto& w : warnings) {
      out += "- " + w + "\n";
    }
  }
  return out;
}

// What stderr says about a measure the checks do not back: the DPA keeps it, the gap report explains.
void report_gaps(const Context& ctx, const std::vector<render::Claim>& claims, bool gap_file)
{
  for (const auto& claim : claims) {
    if (!claim.backed) {
      std::string reasons;
      for (const auto& reason : claim.reasons) {
        reasons += (reasons.empty() ? "" : "; ") + reason;
      }
      ctx.warn(fmt::format("Annex II measure \"{}\" is not backed by the check results: {}{}", claim.title,
                           reasons, gap_file ? "" : " (--gaps FILE writes the private gap report)"));
    }
  }
}

Result<void> run_dpa(const DocumentOptions& options, const render::Customer& customer, const std::string& gaps,
                     const Context& ctx)
{
  using render::DocFormat;
  const auto format =
      TRY(render::parse_doc_format(options.format.empty() ? "md" : options.format, {DocFormat::md, DocFormat::html}));
  if (customer.name.empty()) {
    return fail(Errc::usage, "--customer must not be empty");
  }
  auto inputs = TRY(load_document_inputs(options, ctx));
  auto rendered = TRY(render::render_dpa(inputs, customer, format));
  report_gaps(ctx, rendered.claims, !gaps.empty());
  const auto warnings = rendered.warnings;
  for (const auto& w : warnings) {
    ctx.warn(w);
  }
  record_document_run(ctx, "dpa", options.output, inputs);
  if (inputs.audit_sequence) {
    rendered = TRY(render::render_dpa(inputs, customer, format));
  }
  TRY_VOID(write_recorded_document(ctx, "dpa", options.output, rendered.text, options));
  if (!gaps.empty()) {
    TRY_VOID(write_document(gaps, gap_report(customer, inputs, rendered.claims, warnings), options.force));
  }
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
  auto gaps = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("dpa", "Render a data processing agreement draft (GDPR Art. 28) for a customer");
  sub->add_option("--customer", customer->name, "The customer's legal name (the controller)")->required();
  sub->add_option("--customer-address", customer->address, "The customer's address");
  sub->add_option("--customer-contact", customer->contact, "The customer's contact person for Annex I")
      ->type_name("TEXT");
  sub->add_option("--customer-country", customer->country,
                  "Where the customer is established (default: the address's last line); decides the UK Addendum")
      ->type_name("COUNTRY");
  add_document_options(sub, *options, WithResults::required);
  sub->add_option("--format", options->format, "md (default) or html")->type_name("FORMAT");
  sub->add_option("-o,--output", options->output, "Where to write, - for stdout (default)")->type_name("FILE");
  sub->add_option("--gaps", *gaps, "Also write a private report of the measures the check results do not back, and why, to FILE")
      ->type_name("FILE");
  sub->footer("Example:\n  complycli dpa --customer \"Acme LLP\" --results results.json -o dpa-acme.md");
  sub->callback([options, customer, gaps, &ctx] { ctx.outcome = run_dpa(*options, *customer, *gaps, ctx); });
}

} // namespace complycli::cli
