#include "store/pg_conn.hpp"

#include "store/postgres_log.hpp"

#include <algorithm>
#include <cstring>

namespace complycli::store::pg {

const char *connect_hint = "check the URL (postgresql://USER@HOST:PORT/DATABASE), that the server runs and the "
                           "database exists; a password comes from PGPASSWORD or ~/.pgpass, never the URL "
                           "(docs/postgresql.md)";

// The first line of libpq's message, without its trailing newline.
std::string reason_of(pg_conn *conn)
{
  std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  std::replace(message.begin(), message.end(), '\n', ' ');
  return message;
}

Result<PgResult> query(pg_conn *conn, std::string_view name, const std::string &sql, Params params, Format format,
                       std::string_view label)
{
  params.finish();
  PgResult result(PQexecParams(conn, sql.c_str(), params.count(), nullptr, params.values(), params.lengths(),
                               params.formats(), static_cast<int>(format)));
  const auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return result;
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    return fail_with_hint(Errc::io, "nothing was half-written (one transaction per command); run it again when the "
                                    "server is back",
                          "lost the connection to the {} {}: {}", label, name, reason_of(conn));
  }
  return fail(Errc::io, "{} {}: {}", label, name, reason_of(conn));
}

Result<void> script(pg_conn *conn, std::string_view name, const char *sql, std::string_view label)
{
  PgResult result(PQexec(conn, sql));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return fail(Errc::io, "{} {}: cannot create the schema: {}", label, name, reason_of(conn));
  }
  return {};
}

std::string hex_of(std::span<const uint8_t> bytes)
{
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

Result<std::string> literal(pg_conn *conn, std::string_view value)
{
  char *quoted = PQescapeLiteral(conn, value.data(), value.size());
  if (quoted == nullptr) {
    return fail(Errc::usage, "cannot use {:?} in a query: {}", value, reason_of(conn));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

Result<void> transaction(pg_conn *conn, std::string_view name, int &depth, const char *begin,
                         const std::function<Result<void>()> &body, std::string_view label)
{
  if (depth > 0) {
    return body();
  }
  TRY(query(conn, name, begin, {}, Format::text, label));
  ++depth;
  auto done = body();
  --depth;
  if (!done) {
    PQclear(PQexec(conn, "ROLLBACK"));
    return done;
  }
  TRY(query(conn, name, "COMMIT", {}, Format::text, label));
  return {};
}

Result<pg_conn *> connect(const std::string &url, std::string_view label)
{
  const char *keywords[] = {"dbname", "application_name", "connect_timeout", nullptr};
  const char *values[] = {url.c_str(), "complycli", "10", nullptr};
  pg_conn *conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    auto reason = reason_of(conn);
    PQfinish(conn);
    return fail_with_hint(Errc::io, connect_hint, "cannot connect to the {} {}: {}", label, url, reason);
  }
  return conn;
}

} // namespace complycli::store::pg

namespace complycli::store {

// Declared in store/postgres_log.hpp (which callers without libpq's headers include).
Result<void> check_postgres_url(const std::string &url)
{
  TRY_VOID(pg::need_libpq());
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return fail_with_hint(Errc::usage, "for example --store postgresql://alice@db.example.com:5432/complycli",
                          "--store {}: expected a postgresql:// URL", url);
  }
  char *error = nullptr;
  PQconninfoOption *options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string reason = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!reason.empty() && reason.back() == '\n') {
      reason.pop_back();
    }
    return fail_with_hint(Errc::usage, "for example --store postgresql://alice@db.example.com:5432/complycli",
                          "--store: not a PostgreSQL URL: {}", reason);
  }
  bool password = false;
  for (auto *option = options; option->keyword != nullptr; ++option) {
    if (std::strcmp(option->keyword, "password") == 0 && option->val != nullptr && option->val[0] != '\0') {
      password = true;
    }
  }
  PQconninfoFree(options);
  if (password) {
    return fail_with_hint(Errc::usage,
                          "remove it from the URL and give it in PGPASSWORD or ~/.pgpass (docs/postgresql.md)",
                          "--store: the URL carries a password, which would be stored in settings.json");
  }
  return {};
}

} // namespace complycli::store
