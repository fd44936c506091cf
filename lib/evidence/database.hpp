#pragma once

// An in-memory SQLite database that holds the evidence: one table per kind of input (see
// docs/checks.md). A thin RAII wrapper with cached prepared inserts and a generic query.

#include "core/error.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace complycli::evidence {

// A cell: NULL, integer, real or text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// Text form of a cell ("" for NULL).
std::string to_text(const Value& value);

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

class Database {
public:
  // A fresh in-memory database with the evidence schema and the SQL helper functions
  // (regexp, regex_extract) installed.
  static Result<Database> open();

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  // Run one or more statements that return no rows.
  Result<void> exec(std::string_view sql);

  // Insert one row: `INSERT INTO table VALUES (?, ...)` with a statement cached per table.
  Result<void> insert(const std::string& table, const std::vector<Value>& values);

  // Run a query and collect every row.
  Result<QueryResult> query(std::string_view sql) const;

  // Compile `sql` without running it; the error message is SQLite's.
  Result<void> prepare_only(std::string_view sql) const;

  sqlite3* handle() const { return m_db.get(); }

private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  explicit Database(sqlite3* db) : m_db(db) {}
  std::unique_ptr<sqlite3, Closer> m_db;
  std::map<std::string, sqlite3_stmt*> m_inserts;
};

// The schema every evidence loader fills (documented in docs/checks.md).
extern const char* const schema_sql;

} // namespace complycli::evidence
