// complycli profile: validate and show the company profile (the organisation being audited).

#include "commands.hpp"
#include "profile/profile.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace complycli::cli {

namespace {

struct ProfileOptions {
  std::string file;
  std::string format = "table";
};

// FILE when given, else the profile named in the workspace's settings.
Result<std::filesystem::path> profile_path(const ProfileOptions& options, const Context& ctx)
{
  if (!options.file.empty()) {
    std::error_code ec;
    if (options.file != "-" && !std::filesystem::exists(options.file, ec)) {
      return fail(Errc::usage, "{}: no such file", options.file);
    }
    return std::filesystem::path(options.file);
  }
  const auto workspace = TRY(ctx.workspace());
  return profile::workspace_profile(workspace);
}

std::string plural(std::size_t count, std::string_view one, std::string_view many)
{
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

Result<void> run_validate(const ProfileOptions& options, const Context& ctx)
{
  const auto path = TRY(profile_path(options, ctx));
  const auto validation = TRY(profile::validate_file(path));
  if (!validation.valid()) {
    const bool colour = ctx.colour_stderr();
    for (const auto& diagnostic : validation.diagnostics) {
      fmt::print(stderr, "{}:{}:{}: {} {}\n", diagnostic.file, diagnostic.line, diagnostic.column,
                 core::paint("error:", core::Colour::red, colour), diagnostic.message);
    }
    const auto count = validation.diagnostics.size();
    return fail(Errc::config, "{} is not a valid profile: {}", path.string(), plural(count, "problem", "problems"));
  }
  const auto p = profile::from_document(validation.document);
  ctx.info(fmt::format("{}: valid ({}, {}, {}, {})", path.string(), plural(p.products.size(), "product", "products"),
                       plural(p.subprocessors.size(), "subprocessor", "subprocessors"),
                       plural(p.ai_providers.size(), "AI provider", "AI providers"),
                       plural(p.people.size(), "person", "people")));
  return {};
}

std::string join(const std::vector<std::string>& items)
{
  return items.empty() ? "-" : fmt::format("{}", fmt::join(items, ", "));
}

std::string render_table(const profile::Profile& p, bool colour)
{
  const auto& o = p.organisation;
  std::string out;
  out += core::paint(o.trading_name ? fmt::format("{} ({})", o.legal_name, *o.trading_name) : o.legal_name,
                     core::Colour::bold, colour);
  out += "\n";
  core::Table facts{{"FIELD", "VALUE"}};
  facts.add_row({"website", o.website});
  facts.add_row({"hosting regions", join(o.hosting_regions)});
  facts.add_row({"DPO", fmt::format("{} <{}>", o.dpo.name, o.dpo.email)});
  facts.add_row({"security contact", fmt::format("{} <{}>", o.security.name, o.security.email)});
  facts.add_row({"vulnerability reports", o.vulnerability_disclosure.email});
  facts.add_row({"subprocessor notice", fmt::format("{} days", o.subprocessor_notice_days)});
  facts.add_row({"products", std::to_string(p.products.size())});
  facts.add_row({"people", std::to_string(p.people.size())});
  facts.add_row({"AI providers", std::to_string(p.ai_providers.size())});
  facts.add_row({"subprocessors", std::to_string(p.subprocessors.size())});
  facts.add_row({"profile SHA-256", p.source_sha256});
  out += facts.render(colour);
  out += "\n";
  core::Table subprocessors{{"SUBPROCESSOR", "PURPOSE", "LOCATIONS", "TRANSFER", "DPA SIGNED", "CERTIFICATIONS"}};
  for (const auto& s : p.subprocessors) {
    std::vector<std::string> certifications;
    for (const auto& c : s.certifications) {
      certifications.push_back(c.expires ? fmt::format("{} (to {})", c.name, util::format_date(*c.expires)) : c.name);
    }
    subprocessors.add_row({s.name, s.purpose, join(s.locations), s.transfer_mechanism.value_or("-"),
                           s.dpa_signed ? util::format_date(*s.dpa_signed) : "-", join(certifications)});
  }
  out += subprocessors.render(colour);
  return out;
}

Result<void> run_show(const ProfileOptions& options, const Context& ctx)
{
  const auto format = TRY(parse_format(options.format));
  const auto path = TRY(profile_path(options, ctx));
  const auto p = TRY(profile::load_profile(path));
  if (format == core::Format::json) {
    return emit("-", profile::to_json(p).dump(2) + "\n", util::Overwrite::no);
  }
  return emit("-", render_table(p, ctx.colour_stdout()), util::Overwrite::no);
}

} // namespace

void register_profile(CLI::App& app, Context& ctx)
{
  auto* group = app.add_subcommand("profile", "Validate or show the company profile (YAML or JSON)");
  group->require_subcommand(1);
  group->footer("Without FILE, commands use the workspace's profile (`complycli init --profile FILE`).\n"
                "Example:\n  complycli profile validate examples/northwind-legal/profile.yaml");

  auto validate = std::make_shared<ProfileOptions>();
  auto* validate_cmd = group->add_subcommand("validate", "Check a profile and report every problem with file:line:column");
  validate_cmd->add_option("file", validate->file, "Profile (YAML or JSON), - for stdin (default: the workspace's)");
  validate_cmd->footer("Exit status 0 when valid, 2 with one line per problem on stderr.\n"
                       "Example:\n  complycli profile validate examples/northwind-legal/profile.yaml");
  validate_cmd->callback([validate, &ctx] { ctx.outcome = run_validate(*validate, ctx); });

  auto show = std::make_shared<ProfileOptions>();
  auto* show_cmd = group->add_subcommand("show", "Print a valid profile: a summary table, or normalised JSON");
  show_cmd->add_option("file", show->file, "Profile (YAML or JSON), - for stdin (default: the workspace's)");
  show_cmd->add_option("--format", show->format, "table (for people) or json (normalised, for scripts)")
      ->capture_default_str();
  show_cmd->footer("Example:\n  complycli profile show --format json | jq '.subprocessors[].name'");
  show_cmd->callback([show, &ctx] { ctx.outcome = run_show(*show, ctx); });
}

} // namespace complycli::cli
