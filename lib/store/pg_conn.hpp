#pragma once

// What the PostgreSQL stores share (store/postgres_log.cpp, store/postgres_keys.cpp): libpq loaded with
// dlopen, query results and parameters, one query helper that turns failures into Errc::io with libpq's
// reason, and the connection. Only the stores' .cpp files include it (it needs libpq's headers).

#include "core/error.hpp"
#include "store/pg_libpq.hpp"

#include <charconv>
#include <cstdint>
#include <functional>
#include <libpq-fe.h>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#define PQerrorMessage (::complycli::store::pg::libpq().PQerrorMessage)
#define PQclear (::complycli::store::pg::libpq().PQclear)
#define PQntuples (::complycli::store::pg::libpq().PQntuples)
#define PQgetisnull (::complycli::store::pg::libpq().PQgetisnull)
#define PQgetvalue (::complycli::store::pg::libpq().PQgetvalue)
#define PQgetlength (::complycli::store::pg::libpq().PQgetlength)
#define PQexecParams (::complycli::store::pg::libpq().PQexecParams)
#define PQresultStatus (::complycli::store::pg::libpq().PQresultStatus)
#define PQstatus (::complycli::store::pg::libpq().PQstatus)
#define PQexec (::complycli::store::pg::libpq().PQexec)
#define PQconninfoParse (::complycli::store::pg::libpq().PQconninfoParse)
#define PQfreemem (::complycli::store::pg::libpq().PQfreemem)
#define PQconninfoFree (::complycli::store::pg::libpq().PQconninfoFree)
#define PQconnectdbParams (::complycli::store::pg::libpq().PQconnectdbParams)
#define PQfinish (::complycli::store::pg::libpq().PQfinish)
#define PQputCopyData (::complycli::store::pg::libpq().PQputCopyData)
#define PQputCopyEnd (::complycli::store::pg::libpq().PQputCopyEnd)
#define PQgetResult (::complycli::store::pg::libpq().PQgetResult)
#define PQgetCopyData (::complycli::store::pg::libpq().PQgetCopyData)
#define PQescapeLiteral (::complycli::store::pg::libpq().PQescapeLiteral)

namespace complycli::store::pg {

extern const char *connect_hint;

// The first line of libpq's message, without its trailing newline.
std::string reason_of(pg_conn *conn);

class PgResult {
public:
  explicit PgResult(PGresult *result) : m_result(result) {}
  PgResult(PgResult &&other) noexcept : m_result(other.m_result) { other.m_result = nullptr; }
  PgResult &operator=(PgResult &&) = delete;
  PgResult(const PgResult &) = delete;
  PgResult &operator=(const PgResult &) = delete;
  ~PgResult() { PQclear(m_result); }
  PGresult *get() const { return m_result; }

  int rows() const { return PQntuples(m_result); }
  bool is_null(int row, int column) const { return PQgetisnull(m_result, row, column) != 0; }
  std::string_view bytes(int row, int column) const
  {
    return {PQgetvalue(m_result, row, column), static_cast<std::size_t>(PQgetlength(m_result, row, column))};
  }
  std::span<const uint8_t> blob(int row, int column) const
  {
    const auto b = bytes(row, column);
    return {reinterpret_cast<const uint8_t *>(b.data()), b.size()};
  }
  // A column in text format.
  int64_t int64_text(int row, int column) const
  {
    const auto b = bytes(row, column);
    int64_t value = 0;
    std::from_chars(b.data(), b.data() + b.size(), value);
    return value;
  }
  // A bigint column in binary format.
  int64_t int64_binary(int row, int column) const
  {
    const auto b = blob(row, column);
    uint64_t value = 0;
    for (std::size_t i = 0; i < b.size() && i < 8; ++i) {
      value = (value << 8) | b[i];
    }
    return static_cast<int64_t>(value);
  }
  int int32_binary(int row, int column) const
  {
    const auto b = blob(row, column);
    uint32_t value = 0;
    for (std::size_t i = 0; i < b.size() && i < 4; ++i) {
      value = (value << 8) | b[i];
    }
    return static_cast<int>(value);
  }

private:
  PGresult *m_result;
};

// Query parameters: text values (numbers as decimal text) and binary ones (bytea).
class Params {
public:
  Params &text(std::string_view value)
  {
    m_storage.emplace_back(value);
    m_formats.push_back(0);
    return *this;
  }
  Params &number(int64_t value) { return text(std::to_string(value)); }
  Params &binary(std::span<const uint8_t> value)
  {
    m_storage.emplace_back(reinterpret_cast<const char *>(value.data()), value.size());
    m_formats.push_back(1);
    return *this;
  }
  int count() const { return static_cast<int>(m_storage.size()); }
  void finish()
  {
    m_values.clear();
    m_lengths.clear();
    for (const auto &value : m_storage) {
      m_values.push_back(value.c_str());
      m_lengths.push_back(static_cast<int>(value.size()));
    }
  }
  const char *const *values() const { return m_values.data(); }
  const int *lengths() const { return m_lengths.data(); }
  const int *formats() const { return m_formats.data(); }

private:
  std::vector<std::string> m_storage;
  std::vector<const char *> m_values;
  std::vector<int> m_lengths, m_formats;
};

enum class Format { text = 0, binary = 1 };

// Run `sql`; Errc::io with the server's reason when it fails ("`label` NAME: reason").
Result<PgResult> query(pg_conn *conn, std::string_view name, const std::string &sql, Params params = {},
                       Format format = Format::text, std::string_view label = "audit log store");

// Run several statements without parameters (a schema).
Result<void> script(pg_conn *conn, std::string_view name, const char *sql,
                    std::string_view label = "audit log store");

// Connect to `url` (checked by check_postgres_url first). Errc::io with libpq's reason and a hint.
Result<pg_conn *> connect(const std::string &url, std::string_view label);

// Run `body` in a transaction opened with `begin` ("BEGIN", "BEGIN ISOLATION LEVEL ..."), committed
// when it succeeds and rolled back when it fails; `depth` counts the store's open transactions, and
// inside one `body` just runs.
Result<void> transaction(pg_conn *conn, std::string_view name, int &depth, const char *begin,
                         const std::function<Result<void>()> &body, std::string_view label);

std::string hex_of(std::span<const uint8_t> bytes);

// `value` as an SQL string literal, quoted and escaped by libpq for this connection (for a statement
// that takes no parameters, such as COPY). Errc::usage when libpq refuses it (not valid UTF-8).
Result<std::string> literal(pg_conn *conn, std::string_view value);

} // namespace complycli::store::pg
