#include "evidence/database.hpp"
#include "evidence/http_rules.hpp"

#include "util/utf8.hpp"

#include <fmt/format.h>

#include <optional>
#include <regex>
#include <unordered_map>

namespace complycli::evidence {

const char* const schema_sql = R"sql(
CREATE TABLE run (today TEXT NOT NULL, generated TEXT NOT NULL);
CREATE TABLE inputs (file TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE evidence_errors (file TEXT NOT NULL, line INTEGER, kind TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE not_loaded (file TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE unresolved_includes (file TEXT NOT NULL, line INTEGER, kind TEXT NOT NULL, include TEXT NOT NULL,
  reason TEXT NOT NULL);

CREATE TABLE nginx_directives (file TEXT, line INTEGER, context TEXT, block TEXT, server_id INTEGER,
  name TEXT, args TEXT, value TEXT);
CREATE TABLE nginx_servers (server_id INTEGER PRIMARY KEY, server_name TEXT, listen TEXT, ssl INTEGER,
  file TEXT, line INTEGER);
CREATE TABLE nginx_server_settings (server_id INTEGER, server_name TEXT, name TEXT, args TEXT, value TEXT,
  inherited INTEGER, file TEXT, line INTEGER);

CREATE TABLE apache_directives (file TEXT, line INTEGER, vhost TEXT, name TEXT, args TEXT, value TEXT,
  conditions TEXT);

CREATE TABLE sshd_options (file TEXT, line INTEGER, match TEXT, name TEXT, value TEXT, is_default INTEGER,
  unresolved TEXT);

CREATE TABLE postgres_settings (file TEXT, line INTEGER, name TEXT, value TEXT, is_default INTEGER,
  unresolved TEXT);
CREATE TABLE pg_hba (file TEXT, line INTEGER, type TEXT, database TEXT, user_name TEXT, address TEXT,
  method TEXT, unresolved TEXT);

CREATE TABLE http_endpoints (endpoint_id INTEGER PRIMARY KEY, resource TEXT, source TEXT, status INTEGER,
  file TEXT, line INTEGER);
CREATE TABLE http_headers (endpoint_id INTEGER, name TEXT, value TEXT, file TEXT, line INTEGER);
-- The header checks look a header up per endpoint; without it 10,000 files took 30 s of nested scans.
CREATE INDEX http_headers_endpoint ON http_headers (endpoint_id, name);

CREATE TABLE tls_endpoints (resource TEXT, source TEXT, protocols TEXT, ciphers TEXT, weak_ciphers TEXT,
  protocols_line INTEGER, ciphers_line INTEGER, file TEXT, line INTEGER, unresolved TEXT);
CREATE TABLE tls_certificates (resource TEXT, subject TEXT, not_after TEXT, days_left INTEGER,
  key_type TEXT, key_bits INTEGER, file TEXT, line INTEGER);

CREATE TABLE terraform_resources (address TEXT, mode TEXT, type TEXT, name TEXT, module TEXT,
  provider TEXT, attrs TEXT, file TEXT, line INTEGER);
CREATE TABLE terraform_references (address TEXT, attribute TEXT, target TEXT, unknown INTEGER, file TEXT);
-- Checks link resources of one plan by type (a bucket's encryption configuration, its access block).
CREATE INDEX terraform_resources_type ON terraform_resources (type, file);

CREATE TABLE profiles (file TEXT, legal_name TEXT);
CREATE TABLE profile (path TEXT, value TEXT, type TEXT, file TEXT, line INTEGER);
CREATE TABLE profile_regions (region TEXT, file TEXT, line INTEGER);
CREATE TABLE profile_people (name TEXT, role TEXT, email TEXT, security_training TEXT,
  background_check TEXT, file TEXT, line INTEGER, status TEXT);
CREATE TABLE profile_subprocessors (name TEXT, purpose TEXT, personal_data INTEGER, dpa_signed TEXT,
  transfer_mechanism TEXT, locations TEXT, file TEXT, line INTEGER);
CREATE TABLE profile_certifications (subprocessor TEXT, name TEXT, expires TEXT, file TEXT, line INTEGER);
CREATE TABLE profile_ai_providers (name TEXT, zero_data_retention INTEGER, training_opt_out INTEGER,
  region TEXT, models TEXT, file TEXT, line INTEGER);

CREATE TABLE profile_ai_workers (id TEXT, name TEXT, owner TEXT, role TEXT, status TEXT,
  model_provider TEXT, memory_scope TEXT, memory_retention_days INTEGER, log_retention_days INTEGER,
  last_permission_review TEXT, permissions INTEGER, tools TEXT, file TEXT, line INTEGER, id_line INTEGER,
  owner_line INTEGER, role_line INTEGER, model_provider_line INTEGER, memory_line INTEGER,
  log_retention_line INTEGER, review_line INTEGER, permissions_line INTEGER, tools_line INTEGER);
CREATE TABLE profile_ai_worker_permissions (worker TEXT, resource TEXT, verbs TEXT, file TEXT, line INTEGER);
CREATE TABLE profile_ai_worker_data (worker TEXT, data_class TEXT, file TEXT, line INTEGER);
CREATE TABLE profile_ai_worker_actions (worker TEXT, action TEXT, file TEXT, line INTEGER);
CREATE TABLE profile_ai_worker_approvals (worker TEXT, action TEXT, approver_role TEXT, file TEXT, line INTEGER);
CREATE TABLE audit_entries (seq INTEGER, time TEXT, actor TEXT, action TEXT, target TEXT, outcome TEXT,
  details TEXT, hash TEXT, file TEXT);

CREATE TABLE documents (file TEXT, path TEXT, value TEXT, type TEXT, line INTEGER);
)sql";

std::string to_text(const Value& value)
{
  if (const auto* i = std::get_if<int64_t>(&value)) {
    return std::to_string(*i);
  }
  if (const auto* d = std::get_if<double>(&value)) {
    return fmt::format("{}", *d);
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    return *s;
  }
  return "";
}

namespace {

// The compiled pattern of argument `argument`, cached by SQLite across the rows of one statement (when
// the pattern is a constant). SQLite may drop the cache at once, so the caller gets its own copy.
std::optional<std::regex> compile(sqlite3_context* context, sqlite3_value* value, int argument)
{
  if (const auto* cached = static_cast<std::regex*>(sqlite3_get_auxdata(context, argument))) {
    return *cached;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  if (!text) {
    return std::nullopt;
  }
  try {
    std::regex compiled(text, std::regex::ECMAScript | std::regex::icase);
    sqlite3_set_auxdata(context, argument, new std::regex(compiled), [](void* p) { delete static_cast<std::regex*>(p); });
    return compiled;
  } catch (const std::regex_error& e) {
    sqlite3_result_error(context, fmt::format("bad regular expression {}: {}", text, e.what()).c_str(), -1);
    return std::nullopt;
  }
}

// libstdc++'s std::regex recurses once per character a `\s*` or `.*` consumes: a value of a few tens
// of kilobytes (a header line in a file someone else wrote) overflowed the stack. Longer values are an
// error of the query, which makes the check's result an error that names the reason.
constexpr int max_regex_subject = 8192;

bool too_long_for_regex(sqlite3_context* context, sqlite3_value* value)
{
  const int bytes = sqlite3_value_bytes(value);
  if (bytes <= max_regex_subject) {
    return false;
  }
  const auto message = fmt::format("a value of {} bytes is too long for a regular expression (expected at most {})",
                                   bytes, max_regex_subject);
  sqlite3_result_error(context, message.c_str(), -1);
  return true;
}

// regexp(pattern, text): SQLite calls it for `text REGEXP pattern`. Case-insensitive ECMAScript.
void sql_regexp(sqlite3_context* context, int, sqlite3_value** argv)
{
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  if (too_long_for_regex(context, argv[1])) {
    return;
  }
  const auto re = compile(context, argv[0], 0);
  if (!re) {
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  sqlite3_result_int(context, std::regex_search(text, *re) ? 1 : 0);
}

// regex_extract(text, pattern): the first capture group of the first match, else NULL.
void sql_regex_extract(sqlite3_context* context, int, sqlite3_value** argv)
{
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  if (too_long_for_regex(context, argv[0])) {
    return;
  }
  const auto re = compile(context, argv[1], 1);
  if (!re) {
    return;
  }
  const std::string text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::smatch match;
  if (std::regex_search(text, match, *re) && match.size() > 1 && match[1].matched) {
    const auto found = match[1].str();
    sqlite3_result_text(context, found.c_str(), static_cast<int>(found.size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_result_null(context);
  }
}

} // namespace

Database::~Database()
{
  for (auto& [_, statement] : m_inserts) {
    sqlite3_finalize(statement);
  }
}

Result<Database> Database::open()
{
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return fail(Errc::io, "cannot open the evidence database: {}", message);
  }
  Database db(raw);
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  sqlite3_create_function(raw, "regexp", 2, flags, nullptr, sql_regexp, nullptr, nullptr);
  sqlite3_create_function(raw, "regex_extract", 2, flags, nullptr, sql_regex_extract, nullptr, nullptr);
  TRY_VOID(register_http_functions(raw));
  TRY_VOID(db.exec(schema_sql));
  return db;
}

Result<void> Database::exec(std::string_view sql)
{
  char* message = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string error = message ? message : "unknown error";
    sqlite3_free(message);
    return fail(Errc::internal, "sqlite: {}", error);
  }
  return {};
}

Result<void> Database::insert(const std::string& table, const std::vector<Value>& values)
{
  auto& statement = m_inserts[table];
  if (!statement) {
    std::string sql = "INSERT INTO " + table + " VALUES (";
    for (std::size_t i = 0; i < values.size(); ++i) {
      sql += i ? ",?" : "?";
    }
    sql += ")";
    if (sqlite3_prepare_v2(m_db.get(), sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      statement = nullptr;
      return fail(Errc::internal, "sqlite: {}: {}", sql, sqlite3_errmsg(m_db.get()));
    }
  }
  sqlite3_reset(statement);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const auto& value = values[i];
    if (const auto* n = std::get_if<int64_t>(&value)) {
      sqlite3_bind_int64(statement, index, *n);
    } else if (const auto* d = std::get_if<double>(&value)) {
      sqlite3_bind_double(statement, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      // Evidence comes from files in any encoding; reports are JSON, which must be UTF-8.
      if (util::invalid_utf8_offset(*s) != std::string::npos) {
        const auto valid = util::to_valid_utf8(*s);
        sqlite3_bind_text(statement, index, valid.data(), static_cast<int>(valid.size()), SQLITE_TRANSIENT);
        continue;
      }
      sqlite3_bind_text(statement, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(statement, index);
    }
  }
  if (sqlite3_step(statement) != SQLITE_DONE) {
    return fail(Errc::internal, "sqlite: insert into {}: {}", table, sqlite3_errmsg(m_db.get()));
  }
  return {};
}

Result<void> Database::prepare_only(std::string_view sql) const
{
  sqlite3_stmt* statement = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(m_db.get(), sql.data(), static_cast<int>(sql.size()), &statement, &tail) != SQLITE_OK) {
    return fail(Errc::config, "{}", sqlite3_errmsg(m_db.get()));
  }
  sqlite3_finalize(statement);
  return {};
}

Result<QueryResult> Database::query(std::string_view sql) const
{
  QueryResult result;
  const char* next = sql.data();
  const char* end = sql.data() + sql.size();
  while (next < end) {
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(m_db.get(), next, static_cast<int>(end - next), &statement, &tail) != SQLITE_OK) {
      return fail(Errc::usage, "sql: {}", sqlite3_errmsg(m_db.get()));
    }
    next = tail;
    if (!statement) {
      continue; // whitespace or a comment
    }
    result.columns.clear();
    result.rows.clear();
    const int count = sqlite3_column_count(statement);
    for (int i = 0; i < count; ++i) {
      result.columns.emplace_back(sqlite3_column_name(statement, i));
    }
    int rc = 0;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      std::vector<Value> row;
      row.reserve(static_cast<std::size_t>(count));
      for (int i = 0; i < count; ++i) {
        switch (sqlite3_column_type(statement, i)) {
        case SQLITE_INTEGER: row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(statement, i))); break;
        case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(statement, i)); break;
        case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
        default: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
          row.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(statement, i))));
        }
        }
      }
      result.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      const std::string message = sqlite3_errmsg(m_db.get());
      sqlite3_finalize(statement);
      return fail(Errc::usage, "sql: {}", message);
    }
    sqlite3_finalize(statement);
  }
  return result;
}

} // namespace complycli::evidence
