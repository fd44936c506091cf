#pragma once

// The keystore on a PostgreSQL server (libpq), shared by every workspace that names the same URL
// (docs/postgresql.md, "The keystore"): the tables of store/key_store.hpp in the schema `complycli`,
// beside the audit log's, and one writer at a time through a transaction-scoped advisory lock.

#include "store/key_store.hpp"
#include "util/sqlite_read_only.hpp"

#include <memory>
#include <string>

struct pg_conn;

namespace complycli::store {

// The advisory lock key every keystore write takes (pg_advisory_xact_lock): "CCKS" in ASCII.
inline constexpr int64_t postgres_keystore_lock = 0x43434b53;

enum class CreateTables { no, yes };

class PostgresKeyStore final : public KeyStore {
public:
  // Connect to `url` (Errc::io with libpq's reason and a hint when that fails). With CreateTables::yes
  // (`init --store`), create the keystore tables when the database has none; otherwise a database
  // without them is Errc::io with a hint.
  static Result<std::unique_ptr<PostgresKeyStore>> open(const std::string &url, util::Access access,
                                                        CreateTables create = CreateTables::no);
  // The keystore tables on `conn`, a connection inside another store's open transaction (`store
  // migrate` copies the keystore in the audit log's transaction, so both commit or neither): creates
  // them when absent; write() and read() run in that transaction. The connection stays the caller's.
  static Result<std::unique_ptr<PostgresKeyStore>> in_transaction(pg_conn *conn, const std::string &url);
  ~PostgresKeyStore() override;
  PostgresKeyStore(const PostgresKeyStore &) = delete;
  PostgresKeyStore &operator=(const PostgresKeyStore &) = delete;

  std::string name() const override { return m_url; }
  bool read_only() const override { return m_read_only; }
  Result<void> write(const std::function<Result<void>()> &body) override;
  Result<void> read(const std::function<Result<void>()> &body) override;

  Result<std::vector<MatterRow>> matters() override;
  Result<std::optional<MatterRow>> matter_by_name(const std::string &name) override;
  Result<std::optional<MatterRow>> matter_by_id(std::span<const uint8_t> id) override;
  Result<std::vector<VersionRow>> versions(std::span<const uint8_t> id) override;
  Result<std::optional<SlotRow>> slot(std::span<const uint8_t> id) override;
  Result<std::vector<WrapRow>> wraps(std::span<const uint8_t> id) override;
  Result<std::vector<ChainRow>> chain_wraps(std::span<const uint8_t> id) override;
  Result<std::optional<Bytes>> record_mac(std::span<const uint8_t> id) override;
  Result<std::vector<RetiredRow>> retired(std::span<const uint8_t> id) override;

  Result<void> insert_matter(const MatterRow &row) override;
  Result<void> set_shredded(std::span<const uint8_t> id, const std::string &when) override;
  Result<void> insert_version(std::span<const uint8_t> id, const VersionRow &row) override;
  Result<void> put_slot(std::span<const uint8_t> id, const SlotRow &row) override;
  Result<void> delete_slot(std::span<const uint8_t> id) override;
  Result<void> put_wrap(std::span<const uint8_t> id, const WrapRow &row) override;
  Result<void> delete_wraps(std::span<const uint8_t> id, std::string_view kind,
                            const std::optional<std::string> &recipient) override;
  Result<void> replace_chain(std::span<const uint8_t> id, const std::vector<ChainRow> &rows) override;
  Result<void> put_record_mac(std::span<const uint8_t> id, std::span<const uint8_t> mac) override;
  Result<void> delete_version(std::span<const uint8_t> id, uint32_t version) override;
  Result<void> insert_retired(std::span<const uint8_t> id, const RetiredRow &row) override;
  Result<void> delete_keys(std::span<const uint8_t> id) override;
  // Nothing: deleted rows stay in the server's files until VACUUM, and in its WAL and backups
  // (docs/postgresql.md says what that means for shred).
  Result<void> scrub() override { return {}; }

private:
  PostgresKeyStore(pg_conn *conn, std::string url, bool read_only)
      : m_conn(conn), m_url(std::move(url)), m_read_only(read_only)
  {
  }
  Result<void> transaction(const char *begin, const std::function<Result<void>()> &body);

  pg_conn *m_conn = nullptr;
  bool m_owns_conn = true;
  std::string m_url;
  bool m_read_only = false;
  int m_depth = 0;
};

} // namespace complycli::store
