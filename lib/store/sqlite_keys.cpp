#include "store/sqlite_keys.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace complycli::store {

namespace fs = std::filesystem;

namespace {

// SQLite's message, with the operating system's reason when it has one: "disk I/O error" alone does
// not say that the disk is full or read-only.
std::string sqlite_message(sqlite3 *db)
{
  std::string message = sqlite3_errmsg(db);
  const int primary = sqlite3_errcode(db) & 0xff;
  const int system = sqlite3_system_errno(db);
  if ((primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
       primary == SQLITE_READONLY) && system != 0) {
    const std::string reason = std::strerror(system);
    if (message.find(reason) == std::string::npos) {
      message += fmt::format(" ({})", reason);
    }
  }
  return message;
}

class Statement {
public:
  Statement(sqlite3 *db, const char *sql) : m_db(db)
  {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) {
      m_error = sqlite3_errmsg(db);
    }
  }
  ~Statement() { sqlite3_finalize(m_stmt); }
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;

  Statement &bind(int index, std::span<const uint8_t> blob)
  {
    sqlite3_bind_blob(m_stmt, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement &bind(int index, std::string_view text)
  {
    sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement &bind(int index, int64_t value)
  {
    sqlite3_bind_int64(m_stmt, index, value);
    return *this;
  }

  // Step once: true for a row, false when done; an error is Errc::io.
  Result<bool> step()
  {
    if (!m_error.empty()) {
      return fail(Errc::io, "keystore: {}", m_error);
    }
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    return fail(Errc::io, "keystore: {}", sqlite_message(m_db));
  }
  Result<void> run()
  {
    TRY(step());
    return {};
  }

  std::string text(int column) const
  {
    const auto *p = sqlite3_column_text(m_stmt, column);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char *>(p));
  }
  bool is_null(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
  int64_t integer(int column) const { return sqlite3_column_int64(m_stmt, column); }
  uint32_t version(int column) const { return static_cast<uint32_t>(integer(column)); }
  Bytes blob(int column) const
  {
    const auto *p = static_cast<const uint8_t *>(sqlite3_column_blob(m_stmt, column));
    return p == nullptr ? Bytes{} : Bytes(p, p + sqlite3_column_bytes(m_stmt, column));
  }

private:
  sqlite3 *m_db;
  sqlite3_stmt *m_stmt = nullptr;
  std::string m_error;
};

const char *schema = R"sql(
CREATE TABLE IF NOT EXISTS matters (
  id BLOB PRIMARY KEY CHECK (length(id) = 16),
  name TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  shredded_at TEXT
);
CREATE TABLE IF NOT EXISTS key_versions (
  matter_id BLOB NOT NULL REFERENCES matters(id),
  version INTEGER NOT NULL CHECK (version > 0),
  created TEXT NOT NULL,
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE IF NOT EXISTS passphrase_slots (
  matter_id BLOB PRIMARY KEY REFERENCES matters(id),
  salt BLOB NOT NULL,
  opslimit INTEGER NOT NULL,
  memlimit INTEGER NOT NULL,
  nonce BLOB NOT NULL,
  verifier BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS wraps (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('passphrase', 'recipient')),
  recipient TEXT NOT NULL DEFAULT '',
  wrapped BLOB NOT NULL,
  PRIMARY KEY (matter_id, version, kind, recipient),
  FOREIGN KEY (matter_id, version) REFERENCES key_versions(matter_id, version)
);
CREATE TABLE IF NOT EXISTS chain_wraps (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL CHECK (version > 1),
  wrapped BLOB NOT NULL,
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE IF NOT EXISTS records (
  matter_id BLOB PRIMARY KEY,
  mac BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS version_public_keys (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL,
  public_key BLOB NOT NULL CHECK (length(public_key) = 32),
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE IF NOT EXISTS retired_versions (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL,
  retired_at TEXT NOT NULL,
  PRIMARY KEY (matter_id, version)
);
)sql";

MatterRow matter_of(const Statement &row)
{
  MatterRow matter{row.blob(0), row.text(1), row.text(2), std::nullopt};
  if (!row.is_null(3)) {
    matter.shredded_at = row.text(3);
  }
  return matter;
}

Result<sqlite3 *> open_db(const std::string &uri, int flags, const fs::path &path)
{
  sqlite3 *db = nullptr;
  if (sqlite3_open_v2(uri.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite_message(db) : "out of memory";
    sqlite3_close(db);
    return fail(Errc::io, "cannot open the keystore {}: {}", path.string(), message);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

} // namespace

SqliteKeyStore::~SqliteKeyStore()
{
  if (m_db != nullptr) {
    sqlite3_close(m_db);
  }
}

Result<void> SqliteKeyStore::exec(const char *sql) const
{
  char *message = nullptr;
  if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    const std::string text = sqlite_message(m_db);
    return fail(Errc::io, "keystore {}: {}", m_path.string(), text);
  }
  return {};
}

bool SqliteKeyStore::has_table(const char *name) const
{
  Statement row(m_db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
  row.bind(1, std::string_view(name));
  return row.step().value_or(false) && row.integer(0) == 1;
}

Result<std::unique_ptr<SqliteKeyStore>> SqliteKeyStore::open(const fs::path &path, util::Access access)
{
  if (access == util::Access::read_only) {
    // A keystore that does not exist yet holds no matter: read an empty one from memory.
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    // In a folder that takes writes, a read-write connection that runs no writing statement
    // (query_only): unlike a SQLITE_OPEN_READONLY one, it removes the -wal and -shm files it made when it
    // closes, as every other keystore connection does (left behind, they would hold disk space: a full
    // disk would then free it only at the next write). Elsewhere, SQLite's read-only mode.
    const bool in_writable_folder =
        exists && util::folder_takes_writes(path.has_parent_path() ? path.parent_path() : fs::path("."));
    std::string uri = "file::memory:";
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
    if (in_writable_folder) {
      uri = path.string();
      flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
    } else if (exists) {
      uri = TRY(util::sqlite_read_only_uri(path));
      flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
    }
    std::unique_ptr<SqliteKeyStore> store(new SqliteKeyStore(TRY(open_db(uri, flags, path)), path));
    TRY_VOID(store->exec(in_writable_folder ? "PRAGMA foreign_keys = ON; PRAGMA query_only = ON;"
                                            : "PRAGMA foreign_keys = ON;"));
    if (exists) {
      Statement tables(store->m_db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'matters'");
      auto row = tables.step();
      if (!row) {
        return std::unexpected(Error{
            Errc::io, fmt::format("cannot read the keystore {}: {}", path.string(), sqlite_message(store->m_db)),
            in_writable_folder ? std::string() : "if it reads in a copy, copy the workspace folder to a writable "
                                                 "place and run complycli there"});
      }
      if (*row && tables.integer(0) == 1) {
        store->m_read_only = true;
        return store;
      }
      // An empty file (a keystore that was never written): no matter.
      auto empty = TRY(SqliteKeyStore::open(fs::path(), util::Access::read_only));
      empty->m_path = path;
      return empty;
    }
    TRY_VOID(store->exec(schema));
    store->m_read_only = true;
    return store;
  }
  // Create the file ourselves so that it (and SQLite's -wal and -shm files, which copy its mode) is 0600.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::io, "cannot open the keystore {}: {}", path.string(), std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  ::close(fd);
  std::unique_ptr<SqliteKeyStore> store(
      new SqliteKeyStore(TRY(open_db(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, path)), path));
  TRY_VOID(store->exec("PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"
                       " PRAGMA synchronous = FULL;"));
  TRY_VOID(store->exec(schema));
  return store;
}

Result<void> SqliteKeyStore::write(const std::function<Result<void>()> &body)
{
  if (m_read_only) {
    return fail(Errc::internal, "cannot write: the keystore {} was opened read-only", m_path.string());
  }
  if (m_depth > 0) {
    return body();
  }
  if (sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(Errc::io, "keystore: cannot start a transaction: {}", sqlite_message(m_db));
  }
  ++m_depth;
  auto done = body();
  --m_depth;
  if (!done) {
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    return done;
  }
  if (sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    auto failed = fail(Errc::io, "keystore: cannot commit: {}", sqlite_message(m_db));
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    return failed;
  }
  return {};
}

Result<std::vector<MatterRow>> SqliteKeyStore::matters()
{
  std::vector<MatterRow> out;
  Statement rows(m_db, "SELECT id, name, created, shredded_at FROM matters ORDER BY name");
  while (TRY(rows.step())) {
    out.push_back(matter_of(rows));
  }
  return out;
}

Result<std::optional<MatterRow>> SqliteKeyStore::matter_by_name(const std::string &name)
{
  Statement row(m_db, "SELECT id, name, created, shredded_at FROM matters WHERE name = ?");
  row.bind(1, name);
  if (!TRY(row.step())) {
    return std::nullopt;
  }
  return matter_of(row);
}

Result<std::optional<MatterRow>> SqliteKeyStore::matter_by_id(std::span<const uint8_t> id)
{
  Statement row(m_db, "SELECT id, name, created, shredded_at FROM matters WHERE id = ?");
  row.bind(1, id);
  if (!TRY(row.step())) {
    return std::nullopt;
  }
  return matter_of(row);
}

Result<std::vector<VersionRow>> SqliteKeyStore::versions(std::span<const uint8_t> id)
{
  // Public keys are NULL for versions made before format 2, and in keystores that have no
  // version_public_keys table yet, which read-only commands do not create.
  Statement rows(m_db, has_table("version_public_keys")
                           ? "SELECT v.version, v.created, p.public_key FROM key_versions v LEFT JOIN "
                             "version_public_keys p ON p.matter_id = v.matter_id AND p.version = v.version "
                             "WHERE v.matter_id = ? ORDER BY v.version"
                           : "SELECT version, created, NULL FROM key_versions WHERE matter_id = ? ORDER BY version");
  rows.bind(1, id);
  std::vector<VersionRow> out;
  while (TRY(rows.step())) {
    VersionRow row{rows.version(0), rows.text(1), std::nullopt};
    if (!rows.is_null(2)) {
      row.public_key = rows.blob(2);
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::optional<SlotRow>> SqliteKeyStore::slot(std::span<const uint8_t> id)
{
  Statement row(m_db, "SELECT salt, opslimit, memlimit, nonce, verifier FROM passphrase_slots WHERE matter_id = ?");
  row.bind(1, id);
  if (!TRY(row.step())) {
    return std::nullopt;
  }
  return SlotRow{row.blob(0), row.integer(1), row.integer(2), row.blob(3), row.blob(4)};
}

Result<std::vector<WrapRow>> SqliteKeyStore::wraps(std::span<const uint8_t> id)
{
  Statement rows(m_db, "SELECT version, kind, recipient, wrapped FROM wraps WHERE matter_id = ?"
                       " ORDER BY version, kind, recipient");
  rows.bind(1, id);
  std::vector<WrapRow> out;
  while (TRY(rows.step())) {
    out.push_back({rows.version(0), rows.text(1), rows.text(2), rows.blob(3)});
  }
  return out;
}

Result<std::vector<ChainRow>> SqliteKeyStore::chain_wraps(std::span<const uint8_t> id)
{
  Statement rows(m_db, "SELECT version, wrapped FROM chain_wraps WHERE matter_id = ? ORDER BY version");
  rows.bind(1, id);
  std::vector<ChainRow> out;
  while (TRY(rows.step())) {
    out.push_back({rows.version(0), rows.blob(1)});
  }
  return out;
}

Result<std::optional<Bytes>> SqliteKeyStore::record_mac(std::span<const uint8_t> id)
{
  if (!has_table("records")) {
    return std::nullopt;
  }
  Statement row(m_db, "SELECT mac FROM records WHERE matter_id = ?");
  row.bind(1, id);
  if (!TRY(row.step())) {
    return std::nullopt;
  }
  return row.blob(0);
}

Result<std::vector<RetiredRow>> SqliteKeyStore::retired(std::span<const uint8_t> id)
{
  std::vector<RetiredRow> out;
  if (!has_table("retired_versions")) {
    return out;
  }
  Statement rows(m_db, "SELECT version, retired_at FROM retired_versions WHERE matter_id = ? ORDER BY version");
  rows.bind(1, id);
  while (TRY(rows.step())) {
    out.push_back({rows.version(0), rows.text(1)});
  }
  return out;
}

Result<void> SqliteKeyStore::insert_matter(const MatterRow &row)
{
  Statement insert(m_db, "INSERT INTO matters (id, name, created, shredded_at) VALUES (?, ?, ?, ?)");
  insert.bind(1, row.id).bind(2, row.name).bind(3, row.created);
  if (row.shredded_at) {
    insert.bind(4, *row.shredded_at);
  }
  return insert.run();
}

Result<void> SqliteKeyStore::set_shredded(std::span<const uint8_t> id, const std::string &when)
{
  Statement mark(m_db, "UPDATE matters SET shredded_at = ? WHERE id = ?");
  mark.bind(1, when).bind(2, id);
  return mark.run();
}

Result<void> SqliteKeyStore::insert_version(std::span<const uint8_t> id, const VersionRow &row)
{
  Statement insert(m_db, "INSERT INTO key_versions (matter_id, version, created) VALUES (?, ?, ?)");
  insert.bind(1, id).bind(2, static_cast<int64_t>(row.version)).bind(3, row.created);
  TRY_VOID(insert.run());
  if (!row.public_key) {
    return {};
  }
  Statement pk(m_db, "INSERT OR REPLACE INTO version_public_keys (matter_id, version, public_key) VALUES (?, ?, ?)");
  pk.bind(1, id).bind(2, static_cast<int64_t>(row.version)).bind(3, *row.public_key);
  return pk.run();
}

Result<void> SqliteKeyStore::put_slot(std::span<const uint8_t> id, const SlotRow &row)
{
  Statement insert(m_db, "INSERT OR REPLACE INTO passphrase_slots (matter_id, salt, opslimit, memlimit, nonce, "
                         "verifier) VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, id).bind(2, row.salt).bind(3, row.opslimit).bind(4, row.memlimit).bind(5, row.nonce);
  insert.bind(6, row.verifier);
  return insert.run();
}

Result<void> SqliteKeyStore::delete_slot(std::span<const uint8_t> id)
{
  Statement drop(m_db, "DELETE FROM passphrase_slots WHERE matter_id = ?");
  drop.bind(1, id);
  return drop.run();
}

Result<void> SqliteKeyStore::put_wrap(std::span<const uint8_t> id, const WrapRow &row)
{
  Statement insert(m_db, "INSERT OR REPLACE INTO wraps (matter_id, version, kind, recipient, wrapped)"
                         " VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, id).bind(2, static_cast<int64_t>(row.version)).bind(3, row.kind).bind(4, row.recipient);
  insert.bind(5, row.wrapped);
  return insert.run();
}

Result<void> SqliteKeyStore::delete_wraps(std::span<const uint8_t> id, std::string_view kind,
                                          const std::optional<std::string> &recipient)
{
  Statement drop(m_db, "DELETE FROM wraps WHERE matter_id = ?1 AND (?2 = '' OR kind = ?2)"
                       " AND (?3 IS NULL OR recipient = ?3)");
  drop.bind(1, id).bind(2, kind);
  if (recipient) {
    drop.bind(3, *recipient);
  }
  return drop.run();
}

Result<void> SqliteKeyStore::replace_chain(std::span<const uint8_t> id, const std::vector<ChainRow> &rows)
{
  Statement drop(m_db, "DELETE FROM chain_wraps WHERE matter_id = ?");
  drop.bind(1, id);
  TRY_VOID(drop.run());
  for (const auto &row : rows) {
    Statement insert(m_db, "INSERT INTO chain_wraps (matter_id, version, wrapped) VALUES (?, ?, ?)");
    insert.bind(1, id).bind(2, static_cast<int64_t>(row.version)).bind(3, row.wrapped);
    TRY_VOID(insert.run());
  }
  return {};
}

Result<void> SqliteKeyStore::put_record_mac(std::span<const uint8_t> id, std::span<const uint8_t> mac)
{
  Statement insert(m_db, "INSERT OR REPLACE INTO records (matter_id, mac) VALUES (?, ?)");
  insert.bind(1, id).bind(2, mac);
  return insert.run();
}

Result<void> SqliteKeyStore::delete_version(std::span<const uint8_t> id, uint32_t version)
{
  for (const char *sql : {"DELETE FROM wraps WHERE matter_id = ? AND version = ?",
                          "DELETE FROM chain_wraps WHERE matter_id = ? AND version = ?",
                          "DELETE FROM key_versions WHERE matter_id = ? AND version = ?",
                          "DELETE FROM version_public_keys WHERE matter_id = ? AND version = ?"}) {
    Statement drop(m_db, sql);
    drop.bind(1, id).bind(2, static_cast<int64_t>(version));
    TRY_VOID(drop.run());
  }
  return {};
}

Result<void> SqliteKeyStore::insert_retired(std::span<const uint8_t> id, const RetiredRow &row)
{
  Statement mark(m_db, "INSERT INTO retired_versions (matter_id, version, retired_at) VALUES (?, ?, ?)");
  mark.bind(1, id).bind(2, static_cast<int64_t>(row.version)).bind(3, row.retired_at);
  return mark.run();
}

Result<void> SqliteKeyStore::delete_keys(std::span<const uint8_t> id)
{
  for (const char *sql : {"DELETE FROM wraps WHERE matter_id = ?", "DELETE FROM passphrase_slots WHERE matter_id = ?",
                          "DELETE FROM key_versions WHERE matter_id = ?", "DELETE FROM chain_wraps WHERE matter_id = ?",
                          "DELETE FROM records WHERE matter_id = ?",
                          "DELETE FROM version_public_keys WHERE matter_id = ?"}) {
    Statement drop(m_db, sql);
    drop.bind(1, id);
    TRY_VOID(drop.run());
  }
  return {};
}

Result<void> SqliteKeyStore::scrub()
{
  // secure_delete zeroed the freed cells in the pages written to the WAL; move those pages into the
  // database file, empty the WAL, and rebuild the file so no free page keeps old bytes.
  TRY_VOID(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  TRY_VOID(exec("VACUUM"));
  TRY_VOID(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return {};
}

} // namespace complycli::store
