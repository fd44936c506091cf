// complycli init: create a workspace (.complycli/) in the current folder, or at --home.

#include "commands.hpp"

#include "auditlog/auditlog.hpp"
#include "store/postgres_keys.hpp"
#include "store/postgres_log.hpp"

#include <filesystem>
#include <memory>

namespace complycli::cli {

namespace {

struct InitOptions {
  std::string profile;
  std::string store;
};

// Connect the new workspace to the PostgreSQL store at `url`: create the log and the keystore there, or
// join the ones that are there. Returns the event to record.
Result<core::Event> attach_store(const core::Workspace &workspace, core::Settings settings, const std::string &url)
{
  bool created = false;
  auto log = TRY(auditlog::AuditLog::open_postgres(url, workspace.log_key_path(), "", util::Access::read_write,
                                                   &created));
  const auto key = TRY(log.public_key());
  // The keystore's tables beside the log's (created by the first init, found by a joining one).
  TRY(store::PostgresKeyStore::open(url, util::Access::read_write, store::CreateTables::yes));
  settings.store = url;
  settings.store_log_key = key.vkey();
  TRY_VOID(core::save_settings(workspace, settings));
  return core::Event{created ? "workspace.init" : "workspace.join", workspace.dir.string(), core::Outcome::ok,
                     {{"profile", settings.profile ? settings.profile->string() : ""},
                      {"store", url},
                      {"log_key", key.vkey()}}};
}

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
  if (!options.store.empty()) {
    TRY_VOID(store::check_postgres_url(options.store));
  }
  std::optional<std::filesystem::path> home;
  if (ctx.home) {
    home = *ctx.home;
  }
  const auto workspace = TRY(core::init_workspace(home, project_dir, settings));
  if (options.store.empty()) {
    ctx.record(workspace, core::Event{"workspace.init", workspace.dir.string(), core::Outcome::ok,
                                      {{"profile", settings.profile ? settings.profile->string() : ""}}});
    ctx.info(fmt::format("Initialised an empty complycli workspace in {}", workspace.dir.string()));
    return {};
  }
  auto event = attach_store(workspace, settings, options.store);
  if (!event) { // leave nothing behind: the workspace was only just created
    std::error_code ec;
    std::filesystem::remove_all(workspace.dir, ec);
    return std::unexpected(event.error());
  }
  const bool joined = event->action == "workspace.join";
  ctx.record(workspace, *event);
  ctx.info(fmt::format("{} the audit log at {}: workspace {}", joined ? "Joined" : "Created", options.store,
                       workspace.dir.string()));
  return {};
}

} // namespace

void register_init(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<InitOptions>();
  auto* sub = app.add_subcommand("init", "Create a workspace (.complycli/) here, or at --home");
  sub->add_option("--profile", options->profile, "The company profile this workspace uses by default");
  sub->add_option("--store", options->store,
                  "Keep the audit log and the keystore on a PostgreSQL server shared with other workspaces: "
                  "postgresql://USER@HOST:PORT/DATABASE (password from PGPASSWORD or ~/.pgpass)");
  sub->footer("Examples:\n  complycli init --profile examples/northwind-legal/profile.yaml\n"
              "  complycli init --store postgresql://complycli_app@db.example.com:5432/complycli");
  sub->callback([options, &ctx] { ctx.outcome = run_init(*options, ctx); });
}

} // namespace complycli::cli
