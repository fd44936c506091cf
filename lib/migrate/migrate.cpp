#include "migrate/migrate.hpp"

#include "auditlog/auditlog.hpp"
#include "store/key_store.hpp"
#include "store/postgres_keys.hpp"
#include "store/postgres_log.hpp"
#include "store/sqlite_keys.hpp"
#include "store/sqlite_log.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

namespace complycli::migrate {

namespace fs = std::filesystem;

namespace {

// Entries are copied this many per insert_entries call (one COPY on PostgreSQL).
constexpr std::size_t copy_batch = 8192;

// The `meta` keys a log has (auditlog::AuditLog::new_log_meta), in order.
constexpr const char *meta_keys[] = {"application", "schema_version", "origin", "public_key", "created"};

struct OwnedRow {
  int64_t seq = 0;
  std::string time, actor, action, target, outcome, details;
  std::vector<uint8_t> prev_hash, hash;
};

Result<store::MetaRows> meta_rows(store::LogStore &log)
{
  store::MetaRows rows;
  for (const char *key : meta_keys) {
    auto value = TRY(log.meta(key));
    if (!value.empty()) {
      rows.emplace_back(key, std::move(value));
    }
  }
  return rows;
}

std::string meta_value(const store::MetaRows &rows, std::string_view key)
{
  for (const auto &[name, value] : rows) {
    if (name == key) {
      return value;
    }
  }
  return {};
}

// The source must verify before anything is copied; returns its size and head.
Result<void> verify_source(auditlog::AuditLog &source, Report &report)
{
  const auto checked = TRY(source.verify(auditlog::VerifyOptions{}));
  if (checked.problem) {
    return fail_with_hint(Errc::chain_broken, "run `complycli audit verify` for the details; nothing was copied",
                          "the audit log {} does not verify: {}", source.store().name(), checked.problem->message);
  }
  report.entries = checked.entries;
  report.head = checked.head;
  return {};
}

// An existing complycli schema in the target database: only an empty log with the source's origin and
// key will do (what a failed `init --store` of this very log could leave); else no schema at all.
Result<void> prepare_postgres_target(store::PostgresLogStore &target, const store::MetaRows &meta)
{
  if (!TRY(target.has_schema())) {
    return target.create_schema(meta);
  }
  const auto entries = TRY(target.max_seq());
  const auto checkpoints = TRY(target.checkpoints());
  int64_t nodes = 0;
  if (auto done_ = target.tree_nodes([&](const store::TreeNode &) -> Result<void> {
    ++nodes;
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  const char *hint = "migrate into an empty database (CREATE DATABASE ...), or join the log that is there with "
                     "`complycli init --store URL` in a new workspace";
  if (entries > 0 || !checkpoints.empty() || nodes > 0) {
    return fail_with_hint(Errc::io, hint, "{} is not empty: it holds an audit log of {} entries", target.name(),
                          entries);
  }
  for (const char *key : {"origin", "public_key", "schema_version"}) {
    const auto there = TRY(target.meta(key));
    if (there != meta_value(meta, key)) {
      return fail_with_hint(Errc::io, hint, "{} holds another audit log: its {} is {}, this workspace's is {}",
                            target.name(), key, there, meta_value(meta, key));
    }
  }
  return {};
}

// Copy `source` into `target` (in the target's write transaction), verify the copy there with the
// normal verify code, and record the move.
Result<void> copy_and_verify(auditlog::AuditLog &source, auditlog::AuditLog &target, const std::string &actor,
                             Report &report)
{
  const auto counts = TRY(copy_log(source.store(), target.store()));
  report.checkpoints = counts.checkpoints;
  report.tree_nodes = counts.tree_nodes;
  if (target.sqlite() != nullptr) {
    report.signed_checkpoints = TRY(target.sign_missing_checkpoints());
  }
  // One connection: the copy is not committed yet, so no second connection could see it.
  auditlog::VerifyOptions options;
  options.parallel_threshold = std::numeric_limits<int64_t>::max();
  const auto copied = TRY(target.verify(options));
  if (copied.problem) {
    return fail(Errc::chain_broken, "the copy in {} does not verify, so nothing was changed: {}",
                target.store().name(), copied.problem->message);
  }
  if (copied.entries != counts.entries || copied.entries != report.entries || copied.head != report.head) {
    return fail(Errc::chain_broken,
                "the copy in {} has {} entries with head {}, the source {} with head {}: nothing was changed",
                target.store().name(), copied.entries, util::to_hex(copied.head), report.entries,
                util::to_hex(report.head));
  }
  auditlog::NewEntry entry;
  entry.actor = actor;
  entry.action = "store.migrate";
  entry.target = target.store().name();
  entry.details = {{"from", report.from},
                   {"to", report.to},
                   {"entries", report.entries},
                   {"head", util::to_hex(report.head)}};
  report.migrate_seq = TRY(target.append(entry)).seq;
  return {};
}

// The audit log step of a move: under the source's write lock (no append reaches the source meanwhile),
// verify the source, copy it into the target in one transaction that commits only when the copy
// verifies, then run `then` (the workspace switches over) while the source is still locked.
Result<void> move_audit_log(auditlog::AuditLog &source, auditlog::AuditLog &target,
                            const std::function<Result<void>()> &prepare_target, const std::string &actor,
                            Report &report, const std::function<Result<void>()> &then)
{
  return source.store().write([&]() -> Result<void> {
    TRY_VOID(verify_source(source, report));
    if (auto done_ = target.store().write([&]() -> Result<void> {
      TRY_VOID(prepare_target());
      return copy_and_verify(source, target, actor, report);
    }); !done_) {
      return std::unexpected(done_.error());
    }
    return then();
  });
}

// The last step of a move to a server: settings.json (an atomic file) names `url` and the log's key.
Result<void> point_settings_at(const core::Workspace &workspace, core::Settings settings, const std::string &url,
                               const std::string &log_key)
{
  settings.store = url;
  settings.store_log_key = log_key;
  return core::save_settings(workspace, settings);
}

// A SQLite file (audit.db, keystore.db) and its -wal and -shm files, renamed to NAME.migrated-TIME
// (kept for the user).
Result<fs::path> keep_sqlite_file(const fs::path &from)
{
  std::string stamp;
  for (const char c : util::now_rfc3339().substr(0, 19)) {
    if (c != '-' && c != ':') {
      stamp.push_back(c);
    }
  }
  const fs::path kept = from.string() + ".migrated-" + stamp + "Z";
  for (const char *suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const fs::path file = from.string() + suffix;
    if (!fs::exists(file, ec)) {
      continue;
    }
    fs::rename(file, kept.string() + suffix, ec);
    if (ec) {
      return fail_with_hint(Errc::io, "rename it yourself: the workspace already uses the server",
                            "cannot rename {} to {}: {}", file.string(), kept.string() + suffix, ec.message());
    }
  }
  return kept;
}

} // namespace

Result<CopyCounts> copy_log(store::LogStore &from, store::LogStore &to)
{
  CopyCounts counts;
  std::vector<OwnedRow> batch;
  batch.reserve(copy_batch);
  std::vector<store::EntryRow> rows;
  auto flush = [&]() -> Result<void> {
    rows.clear();
    for (const auto &r : batch) {
      rows.push_back(store::EntryRow{r.seq, r.time, r.actor, r.action, r.target, r.outcome, r.details, r.prev_hash,
                                     r.hash});
    }
    TRY_VOID(to.insert_entries(rows));
    counts.entries += static_cast<int64_t>(batch.size());
    batch.clear();
    return {};
  };
  const int64_t last = TRY(from.max_seq());
  if (auto done_ = from.entries(1, last, [&](const store::EntryRow &row) -> Result<void> {
    batch.push_back(OwnedRow{row.seq, std::string(row.time), std::string(row.actor), std::string(row.action),
                             std::string(row.target), std::string(row.outcome), std::string(row.details),
                             std::vector<uint8_t>(row.prev_hash.begin(), row.prev_hash.end()),
                             std::vector<uint8_t>(row.hash.begin(), row.hash.end())});
    return batch.size() == copy_batch ? flush() : Result<void>{};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  if (!batch.empty()) {
    TRY_VOID(flush());
  }
  // Checkpoints in the order they were stored, so that they keep their numbers in messages.
  auto checkpoints = TRY(from.checkpoints());
  std::sort(checkpoints.begin(), checkpoints.end(),
            [](const store::CheckpointRow &a, const store::CheckpointRow &b) { return a.id < b.id; });
  for (const auto &checkpoint : checkpoints) {
    TRY(to.insert_checkpoint(checkpoint.size, checkpoint.time, checkpoint.note));
    ++counts.checkpoints;
  }
  if (auto done_ = from.tree_nodes([&](const store::TreeNode &node) -> Result<void> {
    ++counts.tree_nodes;
    return to.insert_tree_node(node.height, node.index, node.hash);
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return counts;
}

// The keystore step of a move to a server, in the log's transaction on the same connection (both commit
// or neither): every row of the workspace's keystore.db into the server's keystore tables, which must
// hold no matter.
Result<void> copy_keys_to_postgres(const core::Workspace &workspace, store::PostgresLogStore &target,
                                   const std::string &url, Report &report)
{
  auto keys = TRY(store::PostgresKeyStore::in_transaction(target.connection(), url));
  auto source = TRY(store::SqliteKeyStore::open(workspace.keystore_path(), util::Access::read_only));
  TRY_VOID(store::copy_keystore(*source, *keys));
  report.matters = static_cast<int64_t>(TRY(source->matters()).size());
  return {};
}

Result<Report> to_postgres(const core::Workspace &workspace, const std::string &url, const std::string &actor)
{
  TRY_VOID(store::check_postgres_url(url));
  auto settings = TRY(core::load_settings(workspace));
  if (settings.store) {
    return fail_with_hint(Errc::usage, "`complycli store migrate --to sqlite` moves it back into the workspace",
                          "the workspace's audit log is already on the server {}", *settings.store);
  }
  Report report;
  {
    auto source = TRY(auditlog::AuditLog::open(workspace.audit_db_path(), workspace.log_key_path()));
    auto connected = TRY(store::PostgresLogStore::connect(url));
    auto *postgres = connected.get();
    auto target = auditlog::AuditLog::over(std::move(connected), workspace.log_key_path());
    report.from = source.store().name();
    report.to = url;
    const auto meta = TRY(meta_rows(source.store()));
    const auto prepare_target = [&]() -> Result<void> {
      TRY_VOID(prepare_postgres_target(*postgres, meta));
      return copy_keys_to_postgres(workspace, *postgres, url, report);
    };
    TRY_VOID(move_audit_log(
        source, target, prepare_target, actor, report,
        [&]() -> Result<void> { // after the log's COMMIT, the source still locked
          return point_settings_at(workspace, settings, url, meta_value(meta, "public_key"));
        }));
  }
  report.kept = TRY(keep_sqlite_file(workspace.audit_db_path()));
  std::error_code ec;
  if (fs::exists(workspace.keystore_path(), ec)) {
    report.kept_keys = TRY(keep_sqlite_file(workspace.keystore_path()));
  }
  return report;
}

Result<Report> to_sqlite(const core::Workspace &workspace, const std::string &actor)
{
  auto settings = TRY(core::load_settings(workspace));
  if (!settings.store) {
    return fail_with_hint(Errc::usage, "`complycli store migrate --to postgresql://USER@HOST:PORT/DB` moves it to "
                                       "a server",
                          "the workspace's audit log is already in SQLite ({})", workspace.audit_db_path().string());
  }
  std::error_code ec;
  if (!fs::exists(workspace.log_key_path(), ec)) {
    return fail_with_hint(Errc::io, "run it in the workspace that created the log on the server (it holds log.key)",
                          "a SQLite audit log needs its signing key, and {} is not here",
                          workspace.log_key_path().string());
  }
  const fs::path path = workspace.audit_db_path();
  if (fs::exists(path, ec) && fs::file_size(path, ec) > 0) {
    return fail_with_hint(Errc::io, "move it away first: store migrate never overwrites an audit log",
                          "{} exists and is not empty", path.string());
  }
  const fs::path keys_path = workspace.keystore_path();
  if (fs::exists(keys_path, ec) && fs::file_size(keys_path, ec) > 0) {
    return fail_with_hint(Errc::io, "move it away first: store migrate never overwrites a keystore",
                          "{} exists and is not empty", keys_path.string());
  }
  // The copies are written under other names and renamed once the log verified and committed.
  const fs::path partial = path.string() + ".migrating";
  const fs::path partial_keys = keys_path.string() + ".migrating";
  auto remove_partial = [&] {
    for (const char *suffix : {"", "-wal", "-shm"}) {
      fs::remove(partial.string() + suffix, ec);
      fs::remove(partial_keys.string() + suffix, ec);
    }
  };
  remove_partial(); // what an interrupted earlier attempt left
  Report report;
  auto moved = [&]() -> Result<void> {
    {
      auto server_keys = TRY(store::PostgresKeyStore::open(*settings.store, util::Access::read_only));
      auto local_keys = TRY(store::SqliteKeyStore::open(partial_keys, util::Access::read_write));
      TRY_VOID(server_keys->read([&] { return store::copy_keystore(*server_keys, *local_keys); }));
      report.matters = static_cast<int64_t>(TRY(local_keys->matters()).size());
    }
    auto source = TRY(auditlog::AuditLog::open(workspace, util::Access::read_write));
    const auto meta = TRY(meta_rows(source.store()));
    auto created = TRY(store::SqliteLogStore::open(partial, util::Access::read_write, auditlog::schema_version,
                                                   [&]() -> Result<store::MetaRows> { return meta; }));
    auto target = auditlog::AuditLog::over(std::move(created), workspace.log_key_path());
    report.from = source.store().name();
    report.to = path.string();
    return move_audit_log(
        source, target, [] { return Result<void>{}; }, actor, report, [] { return Result<void>{}; });
  }();
  if (!moved) {
    remove_partial();
    return std::unexpected(moved.error());
  }
  for (const auto &[from, to] : {std::pair{partial, path}, std::pair{partial_keys, keys_path}}) {
    for (const char *suffix : {"", "-wal", "-shm"}) {
      if (fs::exists(from.string() + suffix, ec)) {
        fs::rename(from.string() + suffix, to.string() + suffix, ec);
        if (ec) {
          return fail(Errc::io, "cannot rename {} to {}: {}", from.string() + suffix, to.string() + suffix,
                      ec.message());
        }
      }
    }
  }
  settings.store.reset();
  settings.store_log_key.clear();
  TRY_VOID(core::save_settings(workspace, settings));
  return report;
}

} // namespace complycli::migrate
