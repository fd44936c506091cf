// complycli store migrate: move the workspace's audit log between its SQLite file and a PostgreSQL server
// (lib/migrate: copy in one transaction, verify the copy, then switch settings.json over).

#include "commands.hpp"
#include "migrate/migrate.hpp"
#include "util/hex.hpp"

#include <memory>

namespace complycli::cli {

namespace {

Result<void> run_migrate(const std::string &to, const Context &ctx)
{
  const bool to_sqlite = to == "sqlite";
  if (!to_sqlite && !to.starts_with("postgresql://") && !to.starts_with("postgres://")) {
    return fail_with_hint(Errc::usage, "for example --to postgresql://complycli_owner@db.example.com:5432/complycli",
                          "--to {}: expected sqlite or a postgresql:// URL", to);
  }
  const auto workspace = TRY(ctx.workspace());
  const auto report = to_sqlite ? TRY(migrate::to_sqlite(workspace, ctx.actor))
                                : TRY(migrate::to_postgres(workspace, to, ctx.actor));
  ctx.info(fmt::format("Copied {} entries, {} checkpoints and {} tree nodes from {} to {}; the copy verified "
                       "(head {}) and records the move as entry {}",
                       report.entries, report.checkpoints, report.tree_nodes, report.from, report.to,
                       util::to_hex(report.head), report.migrate_seq));
  if (report.signed_checkpoints > 0) {
    ctx.info(fmt::format("Signed {} automatic checkpoints the server's log lacked (appended by workspaces "
                         "without the log key)",
                         report.signed_checkpoints));
  }
  ctx.info(fmt::format("Copied the keystore rows of {} matter(s) in the same move", report.matters));
  if (to_sqlite) {
    ctx.info(fmt::format("The workspace now uses {} and its keystore.db; the log and keystore on the server are "
                         "left as they were",
                         report.to));
  } else {
    ctx.info(fmt::format("The workspace now uses {}; its SQLite log is kept as {}", report.to,
                         report.kept.string()));
    if (!report.kept_keys.empty()) {
      ctx.info(fmt::format("Its keystore is kept as {}: it still holds the matters' wrapped keys, which a shred "
                           "on the server does not reach; delete it once the move is checked",
                           report.kept_keys.string()));
    }
  }
  return {};
}

} // namespace

void register_store(CLI::App &app, Context &ctx)
{
  auto *cmd = app.add_subcommand("store", "Where the workspace's audit log is kept: move it to PostgreSQL and back");
  cmd->require_subcommand(1);
  auto to = std::make_shared<std::string>();
  auto *sub = cmd->add_subcommand("migrate", "Copy the audit log to an empty PostgreSQL database (or back to "
                                             "SQLite), verify the copy, then switch the workspace over");
  sub->add_option("--to", *to,
                  "postgresql://USER@HOST:PORT/DATABASE (password from PGPASSWORD or ~/.pgpass), or sqlite")
      ->required();
  sub->footer("Examples:\n  complycli store migrate --to postgresql://complycli_owner@db.example.com:5432/complycli\n"
              "  complycli store migrate --to sqlite");
  sub->callback([to, &ctx] { ctx.outcome = run_migrate(*to, ctx); });
}

} // namespace complycli::cli
