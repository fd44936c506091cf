#pragma once

// The audit log on a PostgreSQL server (libpq), shared by every workspace that names the same URL
// (docs/postgresql.md): the schema `complycli` with the same tables as the SQLite store, triggers that
// refuse UPDATE, DELETE and TRUNCATE, and appends serialised by a transaction-scoped advisory lock.

#include "store/log_store.hpp"
#include "util/sqlite_read_only.hpp"

#include <string>

struct pg_conn;

namespace complycli::store {

// The advisory lock key every append takes (pg_advisory_xact_lock): "CCAL" in ASCII.
inline constexpr int64_t postgres_chain_lock = 0x4343414c;

// Errc::usage unless `url` is a postgresql:// (or postgres://) URL that libpq parses and that carries no
// password (passwords come from PGPASSWORD or ~/.pgpass, see docs/postgresql.md).
Result<void> check_postgres_url(const std::string &url);

class PostgresLogStore final : public LogStore {
public:
  // Connect to `url` (Errc::io with libpq's reason and a hint when that fails). With read-write
  // access, create the schema when the database has none, with the rows `new_log` returns (called
  // once, before); `created` tells which happened. Errc::io for a newer schema than `known_version`.
  static Result<std::unique_ptr<PostgresLogStore>> open(const std::string &url, util::Access access,
                                                        int known_version,
                                                        const std::function<Result<MetaRows>()> &new_log,
                                                        bool *created = nullptr);
  // Connect to `url` read-write without creating anything: `store migrate` creates the schema
  // (create_schema) in the same transaction as the rows it copies into it.
  static Result<std::unique_ptr<PostgresLogStore>> connect(const std::string &url);
  // Whether the database holds the complycli schema.
  Result<bool> has_schema();
  // Create the schema and its `meta` rows (inside write()).
  Result<void> create_schema(const MetaRows &rows);
  ~PostgresLogStore() override;
  PostgresLogStore(const PostgresLogStore &) = delete;
  PostgresLogStore &operator=(const PostgresLogStore &) = delete;
  // The open connection, for a keystore that joins this store's transaction (PostgresKeyStore::
  // in_transaction, `store migrate`).
  pg_conn *connection() const { return m_conn; }

  std::string name() const override { return m_url; }
  bool read_only() const override { return m_read_only; }
  Result<void> write(const std::function<Result<void>()> &body) override;
  Result<void> read(const std::function<Result<void>()> &body) override;
  Result<std::unique_ptr<LogStore>> open_again() const override;

  Result<std::string> meta(std::string_view key) override;
  Result<std::pair<int64_t, Hash>> head() override;
  Result<int64_t> max_seq() override;
  Result<void> insert_entries(std::span<const EntryRow> rows) override;
  Result<void> insert_stream(const std::function<Result<std::span<const EntryRow>>()> &next) override;
  Result<void> entries(int64_t lo, int64_t hi, const EntryVisitor &visit) override;
  Result<void> select(const EntryFilter &filter, const EntryVisitor &visit) override;
  Result<int64_t> insert_checkpoint(int64_t size, std::string_view time, std::string_view note) override;
  Result<std::vector<CheckpointRow>> checkpoints() override;
  Result<std::optional<Hash>> tree_node(int height, int64_t index) override;
  Result<void> insert_tree_node(int height, int64_t index, const Hash &hash) override;
  Result<void> insert_tree_nodes(std::span<const TreeNode> nodes) override;
  Result<void> tree_nodes(const std::function<Result<void>(const TreeNode &)> &visit) override;
  Result<bool> has_tree() override { return true; }
  Result<Aggregates> aggregates() override;
  Result<bool> triggers_present() override;

private:
  // Visit the rows of `select` (a SELECT of the entry columns, in seq order) as the server sends them.
  Result<void> stream(const std::string &select, const EntryVisitor &visit);
  PostgresLogStore(pg_conn *conn, std::string url, bool read_only)
      : m_conn(conn), m_url(std::move(url)), m_read_only(read_only)
  {
  }
  Result<void> transaction(const char *begin, const std::function<Result<void>()> &body);

  pg_conn *m_conn = nullptr;
  std::string m_url;
  bool m_read_only = false;
  int m_depth = 0;
};

} // namespace complycli::store
