// complycli audit publish, and audit verify --tiles: the audit log as C2SP tlog tiles in a folder that any
// static web host serves, verified without the database (docs/audit-log.md, "Static tiles").

#include "auditlog/auditlog.hpp"
#include "auditlog/tiles.hpp"
#include "commands.hpp"
#include "util/hex.hpp"

#include <memory>

namespace complycli::cli {

namespace {

using auditlog::AuditLog;

Result<void> run_publish(const std::string &folder, const Context &ctx)
{
  const auto workspace = TRY(ctx.workspace());
  const auto access = AuditLog::check_writable(workspace) ? util::Access::read_write : util::Access::read_only;
  auto log = TRY(AuditLog::open(workspace, access));
  const auto report = TRY(auditlog::publish_tiles(log, folder));
  ctx.info(fmt::format("Published {} entries to {} ({} tiles and entry bundles written; the folder held {} "
                       "entries before)",
                       report.size, folder, report.files, report.previous_size));
  return {};
}

} // namespace

// audit verify --tiles DIR (called from cmd_audit.cpp's run_verify).
Result<void> run_verify_tiles(const std::string &folder, const auditlog::PublicKey &key, core::Format format)
{
  const auto report = TRY(auditlog::verify_tiles(folder, key));
  const auto &cp = report.checkpoint;
  if (format == core::Format::json) {
    nlohmann::ordered_json out;
    out["schema_version"] = 1;
    out["verified"] = true;
    out["tiles"] = folder;
    out["entries"] = cp.size;
    out["hash_tiles"] = report.tiles;
    out["entry_bundles"] = report.bundles;
    out["head"] = util::to_hex(cp.head);
    out["root"] = auditlog::base64_encode(*cp.root);
    out["pubkey"] = key.vkey();
    return emit("-", out.dump(2) + "\n", util::Overwrite::no);
  }
  return emit("-",
              fmt::format("verified the published log in {}: {} entries, {} hash tiles, {} entry bundles\n"
                          "head {}\nroot {}\nkey {}\n",
                          folder, cp.size, report.tiles, report.bundles, util::to_hex(cp.head),
                          auditlog::base64_encode(*cp.root), key.vkey()),
              util::Overwrite::no);
}

void register_audit_tiles(CLI::App *audit, Context &ctx)
{
  auto folder = std::make_shared<std::string>();
  auto *sub = audit->add_subcommand(
      "publish", "Write the log as C2SP tlog tiles (checkpoint, tiles, entry bundles) for a static web host");
  sub->add_option("folder", *folder, "The folder to write (created if missing; updated in place when it holds "
                                     "an earlier publish of this log)")
      ->required();
  sub->footer("Example:\n  complycli audit publish /srv/www/audit-log\n"
              "  complycli audit verify --tiles /srv/www/audit-log --pubkey log.vkey");
  sub->callback([folder, &ctx] { ctx.outcome = run_publish(*folder, ctx); });
}

} // namespace complycli::cli
