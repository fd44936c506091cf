#pragma once

// The audit log in a SQLite file (audit.db in the workspace): the embedded store and the default.
// docs/audit-log.md specifies its schema.

#include "store/log_store.hpp"
#include "store/sqlite_db.hpp"
#include "util/sqlite_read_only.hpp"

#include <filesystem>

namespace complycli::store {

// SQLite's application_id for a complycli audit database ("CCAL").
inline constexpr int32_t sqlite_application_id = 0x4343414c;
// How long a write waits for another process's write to finish before giving up.
inline constexpr int sqlite_busy_timeout_ms = 30000;

class SqliteLogStore final : public LogStore {
public:
  // Open `path`, creating the file (mode 0600) and, in an empty database, the schema with the rows
  // `new_log` returns (it is called once, before the schema is created: it makes the log key).
  // `known_version` is the newest schema version the caller reads. With util::Access::read_only, open an
  // existing log without writing any file. Errc::io for a file that is not a complycli audit database or
  // has a newer schema.
  static Result<std::unique_ptr<SqliteLogStore>> open(const std::filesystem::path &path, util::Access access,
                                                       int known_version,
                                                       const std::function<Result<MetaRows>()> &new_log);

  std::string name() const override { return m_db.path().string(); }
  bool read_only() const override { return m_db.read_only(); }
  Result<void> write(const std::function<Result<void>()> &body) override;
  Result<void> read(const std::function<Result<void>()> &body) override;
  Result<std::unique_ptr<LogStore>> open_again() const override;
  void prepare_scan() override;

  Result<std::string> meta(std::string_view key) override;
  Result<std::pair<int64_t, Hash>> head() override;
  Result<int64_t> max_seq() override;
  Result<void> insert_entries(std::span<const EntryRow> rows) override;
  Result<void> entries(int64_t lo, int64_t hi, const EntryVisitor &visit) override;
  Result<void> select(const EntryFilter &filter, const EntryVisitor &visit) override;
  Result<int64_t> insert_checkpoint(int64_t size, std::string_view time, std::string_view note) override;
  Result<std::vector<CheckpointRow>> checkpoints() override;
  Result<std::optional<Hash>> tree_node(int height, int64_t index) override;
  Result<void> insert_tree_node(int height, int64_t index, const Hash &hash) override;
  Result<void> tree_nodes(const std::function<Result<void>(const TreeNode &)> &visit) override;
  Result<bool> has_tree() override;
  Result<Aggregates> aggregates() override;
  Result<bool> triggers_present() override;

  // Version 1 to 2: add the Merkle tree's table, then `fill` it (one write transaction; nothing when
  // the log is not version 1).
  Result<void> migrate_to_v2(const std::function<Result<void>()> &fill);
  // Once the WAL (kept between processes) is over 1 MiB, copy it into the database and truncate it.
  void truncate_large_wal();
  // Move what the WAL holds into the database without waiting for anyone (before a large import, so
  // that a failed one can give all of the WAL's space back).
  void checkpoint_wal_passive();

  Database &database() { return m_db; }

private:
  explicit SqliteLogStore(Database db) : m_db(std::move(db)) {}

  Database m_db;
  int m_depth = 0; // nested write/read calls
  std::optional<bool> m_has_tree;
  Statement m_insert_one, m_insert_group, m_insert_checkpoint, m_select_node, m_insert_node;
};

} // namespace complycli::store
