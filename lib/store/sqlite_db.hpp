#pragma once

// Thin RAII owners for a SQLite connection and prepared statements (the SQLite log store and its callers).

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <sqlite3.h>
#include <string>
#include <string_view>

namespace complycli::store {

class Statement {
public:
  Statement() = default;
  explicit Statement(sqlite3_stmt *stmt) : m_stmt(stmt) {}
  Statement(Statement &&other) noexcept : m_stmt(other.m_stmt) { other.m_stmt = nullptr; }
  Statement &operator=(Statement &&other) noexcept;
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;
  ~Statement() { sqlite3_finalize(m_stmt); }

  void bind(int index, int64_t value) { sqlite3_bind_int64(m_stmt, index, value); }
  // Text and blobs are bound without a copy: they must outlive the next step().
  void bind(int index, std::string_view text)
  {
    sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  }
  void bind_blob(int index, std::span<const uint8_t> bytes)
  {
    sqlite3_bind_blob(m_stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  }
  // Step once: true when a row is ready, false when done.
  Result<bool> step();
  void reset()
  {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }

  int64_t int64(int column) const { return sqlite3_column_int64(m_stmt, column); }
  std::string_view text(int column) const
  {
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return p == nullptr ? std::string_view{}
                        : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column)));
  }
  std::span<const uint8_t> blob(int column) const
  {
    const auto *p = static_cast<const uint8_t *>(sqlite3_column_blob(m_stmt, column));
    return p == nullptr
               ? std::span<const uint8_t>{}
               : std::span<const uint8_t>(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column)));
  }
  bool is_null(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
  sqlite3_stmt *get() const { return m_stmt; }

private:
  sqlite3_stmt *m_stmt = nullptr;
};

class Database {
public:
  // Open an existing file read-write (never creates it: the caller creates it with the right mode).
  static Result<Database> open(const std::filesystem::path &path);
  // Open an existing file read-only, writing no file at all (see util::sqlite_read_only_uri).
  static Result<Database> open_read_only(const std::filesystem::path &path);
  // Another connection to the same file, opened the same way.
  Result<Database> open_again() const;

  Database() = default;
  Database(Database &&other) noexcept
      : m_db(other.m_db), m_path(std::move(other.m_path)), m_read_only_uri(std::move(other.m_read_only_uri))
  {
    other.m_db = nullptr;
  }
  Database &operator=(Database &&other) noexcept;
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;
  ~Database() { sqlite3_close_v2(m_db); }

  Result<void> exec(const char *sql);
  Result<Statement> prepare(std::string_view sql);
  // An Error describing the connection's last failure while doing `what`.
  Error error(std::string_view what) const;
  sqlite3 *get() const { return m_db; }
  const std::filesystem::path &path() const { return m_path; }
  bool read_only() const { return !m_read_only_uri.empty(); }

private:
  sqlite3 *m_db = nullptr;
  std::filesystem::path m_path;
  std::string m_read_only_uri; // empty for a read-write connection
};

// A write transaction taken with BEGIN IMMEDIATE; rolled back unless committed.
class Transaction {
public:
  static Result<Transaction> begin_immediate(Database &db);
  static Result<Transaction> begin_read(Database &db);
  Transaction(Transaction &&other) noexcept : m_db(other.m_db) { other.m_db = nullptr; }
  Transaction &operator=(Transaction &&) = delete;
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  ~Transaction();
  Result<void> commit();

private:
  explicit Transaction(Database *db) : m_db(db) {}
  Database *m_db = nullptr;
};

} // namespace complycli::store
