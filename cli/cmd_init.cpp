// complycli init: create a workspace (.complycli/) in the current folder, or at --home.

#include "commands.hpp"

#include <filesystem>
#include <memory>

namespace complycli::cli {

namespace {

struct InitOptions {
  std::string profile;
};

Result<void> run_init(const InitOptions& options, const Context& ctx)
{
  const auto project_dir = std::filesystem::current_path();
  core::Settings settings;
  if (!options.profile.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.profile, ec)) {
      return fail(Errc::usage, "--profile {}: no such file", options.profile);
    }
    settings.profile = std::filesystem::absolute(options.profile).lexically_normal();
  }
  std::optional<std::filesystem::path> home;
  if (ctx.home) {
    home = *ctx.home;
  }
  const auto workspace = TRY(core::init_workspace(home, project_dir, settings));
  ctx.record(workspace, core::Event{"workspace.init", workspace.dir.string(), core::Outcome::ok,
                                    {{"profile", settings.profile ? settings.profile->string() : ""}}});
  ctx.info(fmt::format("Initialised an empty complycli workspace in {}", workspace.dir.string()));
  return {};
}

} // namespace

void register_init(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<InitOptions>();
  auto* sub = app.add_subcommand("init", "Create a workspace (.complycli/) here, or at --home");
  sub->add_option("--profile", options->profile, "The company profile this workspace uses by default");
  sub->footer("Example:\n  complycli init --profile examples/northwind-legal/profile.yaml");
  sub->callback([options, &ctx] { ctx.outcome = run_init(*options, ctx); });
}

} // namespace complycli::cli
