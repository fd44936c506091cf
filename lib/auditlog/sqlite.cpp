#include "auditlog/sqlite.hpp"

namespace complycli::auditlog {

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
  return fail(Errc::io, "{}: {}", file == nullptr ? "database" : file, sqlite3_errmsg(db));
}

Database &Database::operator=(Database &&other) noexcept
{
  if (this != &other) {
    sqlite3_close_v2(m_db);
    m_db = other.m_db;
    m_path = std::move(other.m_path);
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
                db.m_db != nullptr ? sqlite3_errmsg(db.m_db) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(db.m_db, 1);
  return db;
}

Error Database::error(std::string_view what) const
{
  return Error{Errc::io, fmt::format("{}: {}: {}", m_path.string(), what, sqlite3_errmsg(m_db)), {}};
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

Transaction::~Transaction()
{
  if (m_db != nullptr) {
    sqlite3_exec(m_db->get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Result<void> Transaction::commit()
{
  auto *db = m_db;
  m_db = nullptr;
  if (sqlite3_exec(db->get(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    auto err = db->error("cannot commit");
    sqlite3_exec(db->get(), "ROLLBACK", nullptr, nullptr, nullptr);
    return std::unexpected(err);
  }
  return {};
}

} // namespace complycli::auditlog
