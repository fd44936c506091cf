#include "store/sqlite_db.hpp"

#include "util/sqlite_read_only.hpp"

#include <cstring>

namespace complycli::store {

namespace {

// SQLite's message, with the operating system's reason when it has one: "disk I/O error" alone does
// not say that the disk is full or read-only.
std::string message_of(sqlite3 *db)
{
  std::string message = sqlite3_errmsg(db);
  const int primary = sqlite3_errcode(db) & 0xff;
  const int system = sqlite3_system_errno(db);
  if ((primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
       primary == SQLITE_READONLY) &&
      system != 0) {
    const std::string reason = std::strerror(system);
    if (message.find(reason) == std::string::npos) {
      message += fmt::format(" ({})", reason);
    }
  }
  return message;
}

} // namespace

Statement &Statement::operator=(Statement &&other) noexcept
{
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_stmt = other.m_stmt;
    other.m_stmt = nullptr;
  }
  return *this;
}

Result<bool> Statement::step()
{
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  sqlite3 *db = sqlite3_db_handle(m_stmt);
  const char *file = sqlite3_db_filename(db, "main");
  return fail(Errc::io, "{}: {}", file == nullptr ? "database" : file, message_of(db));
}

Database &Database::operator=(Database &&other) noexcept
{
  if (this != &other) {
    sqlite3_close_v2(m_db);
    m_db = other.m_db;
    m_path = std::move(other.m_path);
    m_read_only_uri = std::move(other.m_read_only_uri);
    other.m_db = nullptr;
  }
  return *this;
}

Result<Database> Database::open(const std::filesystem::path &path)
{
  Database db;
  db.m_path = path;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db.m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return fail(Errc::io, "cannot open {}: {}", path.string(),
                db.m_db != nullptr ? message_of(db.m_db) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(db.m_db, 1);
  return db;
}

Result<Database> Database::open_read_only(const std::filesystem::path &path)
{
  Database db;
  db.m_path = path;
  db.m_read_only_uri = TRY(util::sqlite_read_only_uri(path));
  return db.open_again();
}

Result<Database> Database::open_again() const
{
  if (!read_only()) {
    return open(m_path);
  }
  Database db;
  db.m_path = m_path;
  db.m_read_only_uri = m_read_only_uri;
  const int rc = sqlite3_open_v2(db.m_read_only_uri.c_str(), &db.m_db,
                                 SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return fail(Errc::io, "cannot open {}: {}", m_path.string(),
                db.m_db != nullptr ? message_of(db.m_db) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(db.m_db, 1);
  return db;
}

Error Database::error(std::string_view what) const
{
  return Error{Errc::io, fmt::format("{}: {}: {}", m_path.string(), what, message_of(m_db)), {}};
}

Result<void> Database::exec(const char *sql)
{
  if (sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return std::unexpected(error("cannot run statement"));
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql)
{
  sqlite3_stmt *stmt = nullptr;
  if (sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return std::unexpected(error("cannot prepare a query"));
  }
  return Statement(stmt);
}

Result<Transaction> Transaction::begin_immediate(Database &db)
{
  TRY_VOID(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Result<Transaction> Transaction::begin_read(Database &db)
{
  TRY_VOID(db.exec("BEGIN"));
  return Transaction(&db);
}

namespace {

// Roll back. If the transaction failed because the disk is full, also give back the space its pages
// took in the WAL (which this log keeps between processes, SQLITE_FCNTL_PERSIST_WAL): a failed large
// import would otherwise leave the file system full, and the keystore beside it unable to open.
void roll_back(sqlite3 *db)
{
  const bool full = (sqlite3_errcode(db) & 0xff) == SQLITE_FULL;
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (full) {
    sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
}

} // namespace

Transaction::~Transaction()
{
  if (m_db != nullptr) {
    roll_back(m_db->get());
  }
}

Result<void> Transaction::commit()
{
  auto *db = m_db;
  m_db = nullptr;
  if (sqlite3_exec(db->get(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    auto err = db->error("cannot commit");
    roll_back(db->get());
    return std::unexpected(err);
  }
  return {};
}

} // namespace complycli::store
