#include "store/postgres_keys.hpp"

#include "store/pg_conn.hpp"
#include "store/postgres_log.hpp"

namespace complycli::store {

using namespace pg;

namespace {

// The SQLite keystore's tables (store/sqlite_keys.cpp) with PostgreSQL's types. Texts sort as bytes
// (COLLATE "C") where the order matters, as in SQLite.
constexpr const char *keys_schema_sql = R"sql(
CREATE TABLE complycli.matters (
  id BYTEA PRIMARY KEY CHECK (length(id) = 16),
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  created TEXT NOT NULL,
  shredded_at TEXT
);
CREATE TABLE complycli.key_versions (
  matter_id BYTEA NOT NULL REFERENCES complycli.matters(id),
  version BIGINT NOT NULL CHECK (version > 0),
  created TEXT NOT NULL,
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE complycli.passphrase_slots (
  matter_id BYTEA PRIMARY KEY REFERENCES complycli.matters(id),
  salt BYTEA NOT NULL,
  opslimit BIGINT NOT NULL,
  memlimit BIGINT NOT NULL,
  nonce BYTEA NOT NULL,
  verifier BYTEA NOT NULL
);
CREATE TABLE complycli.wraps (
  matter_id BYTEA NOT NULL,
  version BIGINT NOT NULL,
  kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('passphrase', 'recipient')),
  recipient TEXT COLLATE "C" NOT NULL DEFAULT '',
  wrapped BYTEA NOT NULL,
  PRIMARY KEY (matter_id, version, kind, recipient),
  FOREIGN KEY (matter_id, version) REFERENCES complycli.key_versions(matter_id, version)
);
CREATE TABLE complycli.chain_wraps (
  matter_id BYTEA NOT NULL,
  version BIGINT NOT NULL CHECK (version > 1),
  wrapped BYTEA NOT NULL,
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE complycli.records (
  matter_id BYTEA PRIMARY KEY,
  mac BYTEA NOT NULL
);
CREATE TABLE complycli.version_public_keys (
  matter_id BYTEA NOT NULL,
  version BIGINT NOT NULL,
  public_key BYTEA NOT NULL CHECK (length(public_key) = 32),
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE complycli.retired_versions (
  matter_id BYTEA NOT NULL,
  version BIGINT NOT NULL,
  retired_at TEXT NOT NULL,
  PRIMARY KEY (matter_id, version)
);
)sql";

constexpr std::string_view label = "keystore";

Bytes bytes_of(const PgResult &rows, int row, int column)
{
  const auto b = rows.blob(row, column);
  return Bytes(b.begin(), b.end());
}

std::string text_of(const PgResult &rows, int row, int column)
{
  return std::string(rows.bytes(row, column));
}

uint32_t version_of(const PgResult &rows, int row, int column)
{
  return static_cast<uint32_t>(rows.int64_binary(row, column));
}

std::vector<MatterRow> matters_of(const PgResult &rows)
{
  std::vector<MatterRow> out;
  for (int r = 0; r < rows.rows(); ++r) {
    MatterRow matter{bytes_of(rows, r, 0), text_of(rows, r, 1), text_of(rows, r, 2), std::nullopt};
    if (!rows.is_null(r, 3)) {
      matter.shredded_at = text_of(rows, r, 3);
    }
    out.push_back(std::move(matter));
  }
  return out;
}

} // namespace

Result<std::unique_ptr<PostgresKeyStore>> PostgresKeyStore::open(const std::string &url, util::Access access,
                                                                 CreateTables create)
{
  TRY_VOID(check_postgres_url(url));
  pg_conn *conn = TRY(pg::connect(url, label));
  std::unique_ptr<PostgresKeyStore> store(new PostgresKeyStore(conn, url, access == util::Access::read_only));
  TRY(query(conn, url, "SET client_min_messages TO warning", {}, Format::text, label));
  auto has_tables = [&]() -> Result<bool> {
    auto found = TRY(query(conn, url, "SELECT to_regclass('complycli.matters') IS NOT NULL", {}, Format::text, label));
    return found.rows() == 1 && found.bytes(0, 0) == "t";
  };
  if (TRY(has_tables())) {
    return store;
  }
  if (create == CreateTables::no || store->m_read_only) {
    return fail_with_hint(Errc::io, "run `complycli init --store URL` once as the role that owns the schema",
                          "the database {} holds no complycli keystore", url);
  }
  // Under the keystore's lock, so that two first `init`s do not both create the tables.
  const auto change = [&]() -> Result<void> {
    if (TRY(has_tables())) {
      return {};
    }
    return script(conn, url, keys_schema_sql, label);
  };
  TRY_VOID(store->write(change));
  return store;
}

Result<std::unique_ptr<PostgresKeyStore>> PostgresKeyStore::in_transaction(pg_conn *conn, const std::string &url)
{
  std::unique_ptr<PostgresKeyStore> store(new PostgresKeyStore(conn, url, false));
  store->m_owns_conn = false;
  store->m_depth = 1; // the caller's transaction: no BEGIN, no COMMIT here
  auto found = TRY(query(conn, url, "SELECT to_regclass('complycli.matters') IS NOT NULL", {}, Format::text, label));
  if (found.rows() != 1 || found.bytes(0, 0) != "t") {
    TRY_VOID(script(conn, url, keys_schema_sql, label));
  }
  return store;
}

PostgresKeyStore::~PostgresKeyStore()
{
  if (m_owns_conn) {
    PQfinish(m_conn);
  }
}

Result<void> PostgresKeyStore::transaction(const char *begin, const std::function<Result<void>()> &body)
{
  return pg::transaction(m_conn, m_url, m_depth, begin, body, label);
}

Result<void> PostgresKeyStore::write(const std::function<Result<void>()> &body)
{
  if (m_read_only && m_depth == 0) {
    return fail(Errc::internal, "cannot write: the keystore {} was opened read-only", m_url);
  }
  return transaction("BEGIN", [&]() -> Result<void> {
    // One keystore writer at a time on every machine, until COMMIT or ROLLBACK; the statements after the
    // lock see what the previous writer committed (Read Committed).
    TRY(query(m_conn, m_url, fmt::format("SELECT pg_advisory_xact_lock({})", postgres_keystore_lock), {},
              Format::text, label));
    return body();
  });
}

Result<void> PostgresKeyStore::read(const std::function<Result<void>()> &body)
{
  return transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body);
}

Result<std::vector<MatterRow>> PostgresKeyStore::matters()
{
  auto rows = TRY(query(m_conn, m_url, "SELECT id, name, created, shredded_at FROM complycli.matters ORDER BY name",
                        {}, Format::binary, label));
  return matters_of(rows);
}

Result<std::optional<MatterRow>> PostgresKeyStore::matter_by_name(const std::string &name)
{
  auto rows = TRY(query(m_conn, m_url, "SELECT id, name, created, shredded_at FROM complycli.matters WHERE name = $1",
                        std::move(Params().text(name)), Format::binary, label));
  auto found = matters_of(rows);
  return found.empty() ? std::nullopt : std::optional<MatterRow>(std::move(found.front()));
}

Result<std::optional<MatterRow>> PostgresKeyStore::matter_by_id(std::span<const uint8_t> id)
{
  auto rows = TRY(query(m_conn, m_url, "SELECT id, name, created, shredded_at FROM complycli.matters WHERE id = $1",
                        std::move(Params().binary(id)), Format::binary, label));
  auto found = matters_of(rows);
  return found.empty() ? std::nullopt : std::optional<MatterRow>(std::move(found.front()));
}

Result<std::vector<VersionRow>> PostgresKeyStore::versions(std::span<const uint8_t> id)
{
  auto rows = TRY(query(m_conn, m_url,
                        "SELECT v.version, v.created, p.public_key FROM complycli.key_versions v LEFT JOIN "
                        "complycli.version_public_keys p ON p.matter_id = v.matter_id AND p.version = v.version "
                        "WHERE v.matter_id = $1 ORDER BY v.version",
                        std::move(Params().binary(id)), Format::binary, label));
  std::vector<VersionRow> out;
  for (int r = 0; r < rows.rows(); ++r) {
    VersionRow row{version_of(rows, r, 0), text_of(rows, r, 1), std::nullopt};
    if (!rows.is_null(r, 2)) {
      row.public_key = bytes_of(rows, r, 2);
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::optional<SlotRow>> PostgresKeyStore::slot(std::span<const uint8_t> id)
{
  auto rows = TRY(query(m_conn, m_url,
                        "SELECT salt, opslimit, memlimit, nonce, verifier FROM complycli.passphrase_slots "
                        "WHERE matter_id = $1",
                        std::move(Params().binary(id)), Format::binary, label));
  if (rows.rows() == 0) {
    return std::nullopt;
  }
  return SlotRow{bytes_of(rows, 0, 0), rows.int64_binary(0, 1), rows.int64_binary(0, 2), bytes_of(rows, 0, 3),
                 bytes_of(rows, 0, 4)};
}

Result<std::vector<WrapRow>> PostgresKeyStore::wraps(std::span<const uint8_t> id)
{
  auto rows = TRY(query(m_conn, m_url,
                        "SELECT version, kind, recipient, wrapped FROM complycli.wraps WHERE matter_id = $1 "
                        "ORDER BY version, kind, recipient",
                        std::move(Params().binary(id)), Format::binary, label));
  std::vector<WrapRow> out;
  for (int r = 0; r < rows.rows(); ++r) {
    out.push_back({version_of(rows, r, 0), text_of(rows, r, 1), text_of(rows, r, 2), bytes_of(rows, r, 3)});
  }
  return out;
}

Result<std::vector<ChainRow>> PostgresKeyStore::chain_wraps(std::span<const uint8_t> id)
{
  auto rows = TRY(query(m_conn, m_url,
                        "SELECT version, wrapped FROM complycli.chain_wraps WHERE matter_id = $1 ORDER BY version",
                        std::move(Params().binary(id)), Format::binary, label));
  std::vector<ChainRow> out;
  for (int r = 0; r < rows.rows(); ++r) {
    out.push_back({version_of(rows, r, 0), bytes_of(rows, r, 1)});
  }
  return out;
}

Result<std::optional<Bytes>> PostgresKeyStore::record_mac(std::span<const uint8_t> id)
{
  auto rows = TRY(query(m_conn, m_url, "SELECT mac FROM complycli.records WHERE matter_id = $1",
                        std::move(Params().binary(id)), Format::binary, label));
  if (rows.rows() == 0) {
    return std::nullopt;
  }
  return bytes_of(rows, 0, 0);
}

Result<std::vector<RetiredRow>> PostgresKeyStore::retired(std::span<const uint8_t> id)
{
  auto rows = TRY(query(m_conn, m_url,
                        "SELECT version, retired_at FROM complycli.retired_versions WHERE matter_id = $1 "
                        "ORDER BY version",
                        std::move(Params().binary(id)), Format::binary, label));
  std::vector<RetiredRow> out;
  for (int r = 0; r < rows.rows(); ++r) {
    out.push_back({version_of(rows, r, 0), text_of(rows, r, 1)});
  }
  return out;
}

Result<void> PostgresKeyStore::insert_matter(const MatterRow &row)
{
  Params params;
  params.binary(row.id).text(row.name).text(row.created);
  if (row.shredded_at) {
    params.text(*row.shredded_at);
  }
  TRY(query(m_conn, m_url,
            row.shredded_at
                ? "INSERT INTO complycli.matters (id, name, created, shredded_at) VALUES ($1, $2, $3, $4)"
                : "INSERT INTO complycli.matters (id, name, created) VALUES ($1, $2, $3)",
            std::move(params), Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::set_shredded(std::span<const uint8_t> id, const std::string &when)
{
  TRY(query(m_conn, m_url, "UPDATE complycli.matters SET shredded_at = $1 WHERE id = $2",
            std::move(Params().text(when).binary(id)), Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::insert_version(std::span<const uint8_t> id, const VersionRow &row)
{
  TRY(query(m_conn, m_url, "INSERT INTO complycli.key_versions (matter_id, version, created) VALUES ($1, $2, $3)",
            std::move(Params().binary(id).number(row.version).text(row.created)), Format::text, label));
  if (!row.public_key) {
    return {};
  }
  TRY(query(m_conn, m_url,
            "INSERT INTO complycli.version_public_keys (matter_id, version, public_key) VALUES ($1, $2, $3) "
            "ON CONFLICT (matter_id, version) DO UPDATE SET public_key = EXCLUDED.public_key",
            std::move(Params().binary(id).number(row.version).binary(*row.public_key)), Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::put_slot(std::span<const uint8_t> id, const SlotRow &row)
{
  TRY(query(m_conn, m_url,
            "INSERT INTO complycli.passphrase_slots (matter_id, salt, opslimit, memlimit, nonce, verifier) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (matter_id) DO UPDATE SET salt = EXCLUDED.salt, "
            "opslimit = EXCLUDED.opslimit, memlimit = EXCLUDED.memlimit, nonce = EXCLUDED.nonce, "
            "verifier = EXCLUDED.verifier",
            std::move(Params().binary(id).binary(row.salt).number(row.opslimit).number(row.memlimit)
                          .binary(row.nonce).binary(row.verifier)),
            Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::delete_slot(std::span<const uint8_t> id)
{
  TRY(query(m_conn, m_url, "DELETE FROM complycli.passphrase_slots WHERE matter_id = $1",
            std::move(Params().binary(id)), Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::put_wrap(std::span<const uint8_t> id, const WrapRow &row)
{
  TRY(query(m_conn, m_url,
            "INSERT INTO complycli.wraps (matter_id, version, kind, recipient, wrapped) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (matter_id, version, kind, recipient) DO UPDATE SET wrapped = EXCLUDED.wrapped",
            std::move(Params().binary(id).number(row.version).text(row.kind).text(row.recipient).binary(row.wrapped)),
            Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::delete_wraps(std::span<const uint8_t> id, std::string_view kind,
                                            const std::optional<std::string> &recipient)
{
  Params params;
  params.binary(id).text(kind);
  std::string sql = "DELETE FROM complycli.wraps WHERE matter_id = $1 AND ($2::text = '' OR kind = $2::text)";
  if (recipient) {
    params.text(*recipient);
    sql += " AND recipient = $3";
  }
  TRY(query(m_conn, m_url, sql, std::move(params), Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::replace_chain(std::span<const uint8_t> id, const std::vector<ChainRow> &rows)
{
  TRY(query(m_conn, m_url, "DELETE FROM complycli.chain_wraps WHERE matter_id = $1", std::move(Params().binary(id)),
            Format::text, label));
  for (const auto &row : rows) {
    TRY(query(m_conn, m_url, "INSERT INTO complycli.chain_wraps (matter_id, version, wrapped) VALUES ($1, $2, $3)",
              std::move(Params().binary(id).number(row.version).binary(row.wrapped)), Format::text, label));
  }
  return {};
}

Result<void> PostgresKeyStore::put_record_mac(std::span<const uint8_t> id, std::span<const uint8_t> mac)
{
  TRY(query(m_conn, m_url,
            "INSERT INTO complycli.records (matter_id, mac) VALUES ($1, $2) "
            "ON CONFLICT (matter_id) DO UPDATE SET mac = EXCLUDED.mac",
            std::move(Params().binary(id).binary(mac)), Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::delete_version(std::span<const uint8_t> id, uint32_t version)
{
  for (const char *table : {"wraps", "chain_wraps", "key_versions", "version_public_keys"}) {
    TRY(query(m_conn, m_url,
              fmt::format("DELETE FROM complycli.{} WHERE matter_id = $1 AND version = $2", table),
              std::move(Params().binary(id).number(version)), Format::text, label));
  }
  return {};
}

Result<void> PostgresKeyStore::insert_retired(std::span<const uint8_t> id, const RetiredRow &row)
{
  TRY(query(m_conn, m_url,
            "INSERT INTO complycli.retired_versions (matter_id, version, retired_at) VALUES ($1, $2, $3)",
            std::move(Params().binary(id).number(row.version).text(row.retired_at)), Format::text, label));
  return {};
}

Result<void> PostgresKeyStore::delete_keys(std::span<const uint8_t> id)
{
  for (const char *table :
       {"wraps", "passphrase_slots", "key_versions", "chain_wraps", "records", "version_public_keys"}) {
    TRY(query(m_conn, m_url, fmt::format("DELETE FROM complycli.{} WHERE matter_id = $1", table),
              std::move(Params().binary(id)), Format::text, label));
  }
  return {};
}

} // namespace complycli::store
