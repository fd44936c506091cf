#pragma once

// The keystore in a SQLite file (.complycli/keystore.db, mode 0600, secure_delete, WAL): the tables of
// store/key_store.hpp, as every keystore since the first release has had them.

#include "store/key_store.hpp"
#include "util/sqlite_read_only.hpp"

#include <filesystem>
#include <memory>

struct sqlite3;

namespace complycli::store {

class SqliteKeyStore final : public KeyStore {
public:
  // Open (creating, mode 0600, if missing) the keystore at `path`. With util::Access::read_only: create
  // nothing and run no statement that writes; in a folder that takes no writes, write no file at all
  // (see util::sqlite_read_only_uri). A missing or empty keystore is then an empty one held in memory.
  static Result<std::unique_ptr<SqliteKeyStore>> open(const std::filesystem::path &path, util::Access access);
  ~SqliteKeyStore() override;
  SqliteKeyStore(const SqliteKeyStore &) = delete;
  SqliteKeyStore &operator=(const SqliteKeyStore &) = delete;

  std::string name() const override { return m_path.string(); }
  bool read_only() const override { return m_read_only; }
  Result<void> write(const std::function<Result<void>()> &body) override;
  // Each statement reads what is committed when it runs; the record check reads no row twice.
  Result<void> read(const std::function<Result<void>()> &body) override { return body(); }

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
  Result<void> scrub() override;

private:
  SqliteKeyStore(sqlite3 *db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}
  Result<void> exec(const char *sql) const;
  bool has_table(const char *name) const;

  sqlite3 *m_db = nullptr;
  std::filesystem::path m_path;
  bool m_read_only = false;
  int m_depth = 0;
};

} // namespace complycli::store
