// complycli dpa: a data processing agreement stub (GDPR Art. 28(3)) for one customer, with Annex II
// built from the checks that passed.

#include "commands.hpp"
#include "document_common.hpp"

#include "util/time.hpp"

#include <algorithm>
#include <memory>
#include <set>

namespace complycli::cli {

namespace {

// What counsel must resolve before signature, from the profile: clause 3(d) promises flow-down to every
// subprocessor (Art. 28(4)), Annex I's locations should cover Annex III's, clause 3(g) promises deletion
// at the end of service.
std::vector<std::string> consistency_warnings(const nlohmann::json& profile)
{
  std::vector<std::string> out;
  std::set<std::string> hosting;
  if (const auto* regions = render::find_path(profile, "organisation.hosting_regions"); regions && regions->is_array()) {
    for (const auto& r : *regions) {
      if (r.is_string()) {
        hosting.insert(r.get<std::string>());
      }
    }
  }
  if (profile.contains("subprocessors") && profile["subprocessors"].is_array()) {
    for (const auto& sub : profile["subprocessors"]) {
      if (!sub.is_object()) {
        continue;
      }
      const std::string name = sub.value("name", std::string("(unnamed)"));
      if (!sub.contains("dpa_signed") || sub["dpa_signed"].is_null()) {
        out.push_back(fmt::format("subprocessor {} has no signed DPA, while clause 3(d) promises the same obligations "
                                  "flow down to every subprocessor (Art. 28(4))",
                                  name));
      }
      if (sub.contains("locations") && sub["locations"].is_array() && !hosting.empty()) {
        for (const auto& l : sub["locations"]) {
          if (l.is_string() && !hosting.count(l.get<std::string>())) {
            out.push_back(fmt::format("subprocessor {} processes in {}, which Annex I's processing locations "
                                      "(organisation.hosting_regions) do not list",
                                      name, l.get<std::string>()));
          }
        }
      }
    }
  }
  if (profile.contains("retention") && profile["retention"].is_array()) {
    for (const auto& r : profile["retention"]) {
      const std::string period = r.is_object() ? r.value("period", std::string()) : std::string();
      std::string lower = period;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower.find("indefinite") != std::string::npos || lower.find("permanent") != std::string::npos ||
          lower.find("forever") != std::string::npos) {
        out.push_back(fmt::format("retention of {} is \"{}\", which contradicts deletion at the end of service "
                                  "(clause 3(g))",
                                  r.value("data_category", std::string("(a category)")), period));
      }
    }
  }
  return out;
}

// The private gap report (`--gaps FILE`): each Annex II measure left out, and why, for the processor's
// counsel to fix or to negotiate before signature instead of losing a contract term silently.
std::string gap_report(const render::Customer& customer, const render::DocumentInputs& inputs,
                       const std::vector<render::Claim>& claims, const std::vector<std::string>& warnings)
{
  std::string out = fmt::format("# PRIVATE: DPA gap report for {}\n\nDraft date {}. Not for the customer: the Annex II "
                                "measures the check results do not back, and why.\n\n",
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
  report_unbacked(ctx, rendered.claims, "Annex II");
  const auto warnings = consistency_warnings(inputs.profile.data);
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
  add_document_options(sub, *options, WithResults::required);
  sub->add_option("--format", options->format, "md (default) or html")->type_name("FORMAT");
  sub->add_option("-o,--output", options->output, "Where to write, - for stdout (default)")->type_name("FILE");
  sub->add_option("--gaps", *gaps, "Also write a private report of the measures left out, and why, to FILE")
      ->type_name("FILE");
  sub->footer("Example:\n  complycli dpa --customer \"Acme LLP\" --results results.json -o dpa-acme.md");
  sub->callback([options, customer, gaps, &ctx] { ctx.outcome = run_dpa(*options, *customer, *gaps, ctx); });
}

} // namespace complycli::cli
