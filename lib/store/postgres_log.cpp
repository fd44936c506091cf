#include "store/postgres_log.hpp"

#include "store/copy_rows.hpp"
#include "store/pg_conn.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace complycli::store {

using namespace pg;

namespace {

// Read a COPY's results to the last, so that the connection takes the next statement; Errc::io with
// libpq's reason when `ended` is false (the COPY could not be ended) or a result is not a success.
Result<void> copy_results(pg_conn *conn, std::string_view name, bool ended)
{
  bool ok = ended;
  while (PGresult *r = PQgetResult(conn)) {
    PgResult result(r);
    ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
  }
  if (!ok) {
    return fail(Errc::io, "audit log store {}: {}", name, reason_of(conn));
  }
  return {};
}

// End a COPY FROM STDIN (`abort`: null to commit its rows, else the reason it is cancelled).
Result<void> end_copy(pg_conn *conn, std::string_view name, const char *abort)
{
  return copy_results(conn, name, PQputCopyEnd(conn, abort) == 1);
}

constexpr const char *schema_sql = R"sql(
CREATE SCHEMA complycli;
CREATE TABLE complycli.meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE complycli.entries(
  seq BIGINT PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL
);
CREATE TABLE complycli.checkpoints(
  id BIGSERIAL PRIMARY KEY,
  size BIGINT NOT NULL,
  time TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE TABLE complycli.merkle(
  height INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY(height, idx)
);
CREATE FUNCTION complycli.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'complycli audit log table % is append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON complycli.entries
  FOR EACH ROW EXECUTE FUNCTION complycli.refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON complycli.entries
  FOR EACH STATEMENT EXECUTE FUNCTION complycli.refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON complycli.checkpoints
  FOR EACH ROW EXECUTE FUNCTION complycli.refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON complycli.checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION complycli.refuse_change();
CREATE TRIGGER meta_append_only BEFORE UPDATE OR DELETE ON complycli.meta
  FOR EACH ROW EXECUTE FUNCTION complycli.refuse_change();
CREATE TRIGGER meta_no_truncate BEFORE TRUNCATE ON complycli.meta
  FOR EACH STATEMENT EXECUTE FUNCTION complycli.refuse_change();
CREATE TRIGGER merkle_append_only BEFORE UPDATE OR DELETE ON complycli.merkle
  FOR EACH ROW EXECUTE FUNCTION complycli.refuse_change();
CREATE TRIGGER merkle_no_truncate BEFORE TRUNCATE ON complycli.merkle
  FOR EACH STATEMENT EXECUTE FUNCTION complycli.refuse_change();
)sql";
constexpr int trigger_count = 8;

constexpr const char *entry_columns = "seq, time, actor, action, target, outcome, details, prev_hash, hash";

// A text field in COPY's text format: backslash, tab, newline and carriage return escaped.
void append_copy_text(std::string &out, std::string_view value)
{
  for (const char c : value) {
    switch (c) {
    case '\\': out += "\\\\"; break;
    case '\t': out += "\\t"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    default: out.push_back(c);
    }
  }
}

void copy_hash(Hash &out, std::span<const uint8_t> bytes)
{
  out.fill(0);
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
}

// COPY ... FROM STDIN in PostgreSQL's binary format: big-endian integers, each field its length then
// its bytes (text as UTF-8, bytea raw), no escaping and no hex on either side.
class BinaryCopy {
public:
  BinaryCopy(pg_conn *conn, std::string_view name) : m_conn(conn), m_name(name)
  {
    m_data.reserve(send_size + 4096);
  }
  Result<void> begin(const std::string &sql)
  {
    PgResult started(PQexec(m_conn, sql.c_str()));
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
      return fail(Errc::io, "audit log store {}: {}", m_name, reason_of(m_conn));
    }
    m_data.append("PGCOPY\n\377\r\n\0", 11);
    int32(0); // flags
    int32(0); // header extension length
    return {};
  }
  void tuple(int16_t fields) { int16(fields); }
  void int16(int16_t v) { put(static_cast<uint64_t>(static_cast<uint16_t>(v)), 2); }
  void int32(int32_t v) { put(static_cast<uint64_t>(static_cast<uint32_t>(v)), 4); }
  void int64_field(int64_t v)
  {
    int32(8);
    put(static_cast<uint64_t>(v), 8);
  }
  void int32_field(int32_t v)
  {
    int32(4);
    int32(v);
  }
  void bytes_field(std::string_view bytes)
  {
    int32(static_cast<int32_t>(bytes.size()));
    m_data.append(bytes);
  }
  void bytes_field(std::span<const uint8_t> bytes)
  {
    bytes_field(std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()));
  }
  // Hand what is buffered to libpq once it is large (the server works on it meanwhile).
  Result<void> flush_if_large() { return m_data.size() >= send_size ? send() : Result<void>{}; }
  // End the COPY: with the trailer when `ok`, else aborted (the server discards every row).
  Result<void> end(bool ok)
  {
    std::optional<Error> failure;
    if (ok) {
      int16(-1);
      if (auto sent = send(); !sent) {
        failure = std::move(sent.error());
      }
    }
    const bool sent = ok && !failure;
    auto ended = end_copy(m_conn, m_name, sent ? nullptr : "complycli stopped the import");
    if (failure) {
      return std::unexpected(std::move(*failure));
    }
    if (!ok) {
      return {}; // the caller reports why it stopped
    }
    return ended;
  }

private:
  static constexpr std::size_t send_size = 128 * 1024;
  void put(uint64_t v, int bytes)
  {
    for (int i = bytes - 1; i >= 0; --i) {
      m_data.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  }
  Result<void> send()
  {
    if (!m_data.empty() && PQputCopyData(m_conn, m_data.data(), static_cast<int>(m_data.size())) != 1) {
      return fail(Errc::io, "audit log store {}: {}", m_name, reason_of(m_conn));
    }
    m_data.clear();
    return {};
  }

  pg_conn *m_conn;
  std::string_view m_name;
  std::string m_data;
};

// A COPY ... TO STDOUT (FORMAT binary) of entry_columns, its rows visited as they arrive
// (store/copy_rows.hpp parses them): no result set is built, so a scan holds one row at a time however
// long the log is.
class EntryCopyReader {
public:
  EntryCopyReader(pg_conn *conn, std::string_view name) : m_conn(conn), m_name(name), m_parser(name) {}

  Result<void> begin(const std::string &sql)
  {
    PgResult started(PQexec(m_conn, sql.c_str()));
    if (PQresultStatus(started.get()) != PGRES_COPY_OUT) {
      return fail(Errc::io, "audit log store {}: {}", m_name, reason_of(m_conn));
    }
    return {};
  }

  // Visit every row. When `visit` fails, the rest of the rows are read and dropped, so that the
  // connection takes the next statement.
  Result<void> each(const EntryVisitor &visit)
  {
    Result<void> visited;
    auto take = [&](const EntryRow &row) {
      if (visited) {
        visited = visit(row);
      }
    };
    while (true) {
      char *message = nullptr;
      const int size = PQgetCopyData(m_conn, &message, 0);
      if (size < 0) {
        TRY_VOID(copy_results(m_conn, m_name, size == -1));
        break;
      }
      auto fed = m_parser.feed(std::string_view(message, static_cast<std::size_t>(size)), take);
      PQfreemem(message);
      if (!fed) {
        (void)drain();
        return fed;
      }
    }
    TRY_VOID(m_parser.finish());
    return visited;
  }

private:
  Result<void> drain()
  {
    char *message = nullptr;
    int size = 0;
    while ((size = PQgetCopyData(m_conn, &message, 0)) >= 0) {
      PQfreemem(message);
    }
    return copy_results(m_conn, m_name, size == -1);
  }

  pg_conn *m_conn;
  std::string_view m_name;
  EntryCopyParser m_parser;
};

} // namespace

Result<std::unique_ptr<PostgresLogStore>> PostgresLogStore::open(const std::string &url, util::Access access,
                                                                 int known_version,
                                                                 const std::function<Result<MetaRows>()> &new_log,
                                                                 bool *created)
{
  TRY_VOID(check_postgres_url(url));
  pg_conn *conn = TRY(pg::connect(url, "audit log store"));
  std::unique_ptr<PostgresLogStore> store(new PostgresLogStore(conn, url, access == util::Access::read_only));
  TRY(query(conn, url, "SET client_min_messages TO warning"));
  if (created != nullptr) {
    *created = false;
  }
  auto has_schema = [&]() -> Result<bool> {
    auto found = TRY(query(conn, url, "SELECT to_regclass('complycli.meta') IS NOT NULL"));
    return found.rows() == 1 && found.bytes(0, 0) == "t";
  };
  if (!TRY(has_schema())) {
    if (store->m_read_only) {
      return fail_with_hint(Errc::io, "run `complycli init --store URL` to create it",
                            "the database {} holds no complycli audit log", url);
    }
    // A new log: the caller's key first, then the schema, under the chain lock so that two first
    // `init`s do not both create it.
    const auto rows = TRY(new_log());
    if (auto done = store->write([&]() -> Result<void> {
          if (TRY(has_schema())) {
            return {};
          }
          TRY_VOID(script(conn, url, schema_sql));
          for (const auto &[name, value] : rows) {
            TRY(query(conn, url, "INSERT INTO complycli.meta(key, value) VALUES ($1, $2)",
                      std::move(Params().text(name).text(value))));
          }
          if (created != nullptr) {
            *created = true;
          }
          return {};
        });
        !done) {
      return std::unexpected(done.error());
    }
  }
  const auto version_text = TRY(store->meta("schema_version"));
  int version = 0;
  std::from_chars(version_text.data(), version_text.data() + version_text.size(), version);
  if (version < 1) {
    return fail(Errc::io, "the database {} has a complycli schema without a schema version", url);
  }
  if (version > known_version) {
    return fail_with_hint(Errc::io, "upgrade complycli to read and write this log",
                          "{} has audit log schema version {}; this complycli knows version {}", url, version,
                          known_version);
  }
  return store;
}

PostgresLogStore::~PostgresLogStore() { PQfinish(m_conn); }

Result<void> PostgresLogStore::transaction(const char *begin, const std::function<Result<void>()> &body)
{
  return pg::transaction(m_conn, m_url, m_depth, begin, body, "audit log store");
}

Result<void> PostgresLogStore::write(const std::function<Result<void>()> &body)
{
  if (m_read_only && m_depth == 0) {
    return fail(Errc::internal, "cannot write: the audit log {} was opened read-only", m_url);
  }
  return transaction("BEGIN", [&]() -> Result<void> {
    // One writer at a time, on every machine: the lock is released by COMMIT or ROLLBACK (or when the
    // connection drops), and every statement after it sees what the previous writer committed.
    TRY(query(m_conn, m_url, fmt::format("SELECT pg_advisory_xact_lock({})", postgres_chain_lock)));
    return body();
  });
}

Result<void> PostgresLogStore::read(const std::function<Result<void>()> &body)
{
  return transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body);
}

Result<std::unique_ptr<LogStore>> PostgresLogStore::open_again() const
{
  auto again = TRY(open(m_url, m_read_only ? util::Access::read_only : util::Access::read_write, 1 << 30,
                        [] { return Result<MetaRows>(MetaRows{}); }));
  return std::unique_ptr<LogStore>(std::move(again));
}

Result<std::string> PostgresLogStore::meta(std::string_view key)
{
  auto row = TRY(query(m_conn, m_url, "SELECT value FROM complycli.meta WHERE key = $1", std::move(Params().text(key))));
  return row.rows() == 0 ? std::string() : std::string(row.bytes(0, 0));
}

Result<std::pair<int64_t, Hash>> PostgresLogStore::head()
{
  auto row = TRY(query(m_conn, m_url, "SELECT seq, hash FROM complycli.entries ORDER BY seq DESC LIMIT 1", {},
                       Format::binary));
  std::pair<int64_t, Hash> out{0, Hash{}};
  if (row.rows() == 1) {
    out.first = row.int64_binary(0, 0);
    copy_hash(out.second, row.blob(0, 1));
  }
  return out;
}

Result<int64_t> PostgresLogStore::max_seq()
{
  auto row = TRY(query(m_conn, m_url, "SELECT coalesce(max(seq), 0) FROM complycli.entries"));
  return row.int64_text(0, 0);
}

Result<void> PostgresLogStore::insert_entries(std::span<const EntryRow> rows)
{
  if (rows.size() == 1) {
    const auto &row = rows.front();
    Params params;
    params.number(row.seq).text(row.time).text(row.actor).text(row.action).text(row.target).text(row.outcome);
    params.text(row.details).binary(row.prev_hash).binary(row.hash);
    TRY(query(m_conn, m_url,
              fmt::format("INSERT INTO complycli.entries({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                          entry_columns),
              std::move(params)));
    return {};
  }
  // Several rows: COPY, in its text format.
  {
    const auto copy = fmt::format("COPY complycli.entries({}) FROM STDIN", entry_columns);
    PgResult started(PQexec(m_conn, copy.c_str()));
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
      return fail(Errc::io, "audit log store {}: {}", m_url, reason_of(m_conn));
    }
  }
  std::string data;
  for (const auto &row : rows) {
    data += std::to_string(row.seq);
    for (const auto field : {row.time, row.actor, row.action, row.target, row.outcome, row.details}) {
      data.push_back('\t');
      append_copy_text(data, field);
    }
    data += "\t\\\\x" + hex_of(row.prev_hash) + "\t\\\\x" + hex_of(row.hash) + "\n";
  }
  if (PQputCopyData(m_conn, data.data(), static_cast<int>(data.size())) != 1) {
    return fail(Errc::io, "audit log store {}: {}", m_url, reason_of(m_conn));
  }
  return end_copy(m_conn, m_url, nullptr);
}

Result<void> PostgresLogStore::insert_stream(const std::function<Result<std::span<const EntryRow>>()> &next)
{
  auto rows = TRY(next());
  if (rows.empty()) {
    return {};
  }
  // One COPY for every group: libpq sends each buffer while `next` hashes the following group.
  BinaryCopy copy(m_conn, m_url);
  TRY_VOID(copy.begin(fmt::format("COPY complycli.entries({}) FROM STDIN (FORMAT binary)", entry_columns)));
  std::optional<Error> failure;
  while (!rows.empty()) {
    for (const auto &row : rows) {
      copy.tuple(9);
      copy.int64_field(row.seq);
      for (const auto field : {row.time, row.actor, row.action, row.target, row.outcome, row.details}) {
        copy.bytes_field(field);
      }
      copy.bytes_field(row.prev_hash);
      copy.bytes_field(row.hash);
    }
    if (auto sent = copy.flush_if_large(); !sent) {
      failure = std::move(sent.error());
      break;
    }
    auto more = next();
    if (!more) {
      failure = std::move(more.error());
      break;
    }
    rows = *more;
  }
  auto ended = copy.end(!failure);
  if (failure) {
    return std::unexpected(std::move(*failure));
  }
  return ended;
}

Result<void> PostgresLogStore::stream(const std::string &select, const EntryVisitor &visit)
{
  if (m_depth == 0) { // the planner setting below lasts for a transaction
    return read([&] { return stream(select, visit); });
  }
  // One binary COPY, read row by row: no result set is built however many rows there are, and the
  // socket's buffer lets the server run ahead of `visit`. Sorting is turned off for its planning, so
  // that the rows come from an index scan in seq order: a freshly imported table has no statistics
  // yet, and a range of it was planned as a bitmap scan and a sort (spilled to disk) of every row.
  auto sort = TRY(query(m_conn, m_url, "SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true)"));
  const std::string sort_was(sort.bytes(0, 0));
  EntryCopyReader reader(m_conn, m_url);
  TRY_VOID(reader.begin(fmt::format("COPY ({}) TO STDOUT (FORMAT binary)", select)));
  const auto visited = reader.each(visit);
  const auto restored =
      query(m_conn, m_url, "SELECT set_config('enable_sort', $1, true)", std::move(Params().text(sort_was)));
  TRY_VOID(visited);
  return restored ? Result<void>{} : std::unexpected(restored.error());
}

Result<void> PostgresLogStore::entries(int64_t lo, int64_t hi, const EntryVisitor &visit)
{
  return stream(fmt::format("SELECT {} FROM complycli.entries WHERE seq >= {} AND seq <= {} ORDER BY seq",
                            entry_columns, lo, hi),
                visit);
}

Result<void> PostgresLogStore::select(const EntryFilter &filter, const EntryVisitor &visit)
{
  std::string where;
  auto add = [&](const std::optional<std::string> &value, std::string_view condition) -> Result<void> {
    if (value) {
      where += fmt::format("{} {} {}", where.empty() ? " WHERE" : " AND", condition, TRY(literal(m_conn, *value)));
    }
    return {};
  };
  TRY_VOID(add(filter.since, "time >="));
  TRY_VOID(add(filter.until, "time <"));
  TRY_VOID(add(filter.actor, "actor ="));
  TRY_VOID(add(filter.action, "action ="));
  TRY_VOID(add(filter.target, "target ="));
  if (filter.limit) {
    return stream(fmt::format("SELECT * FROM (SELECT {} FROM complycli.entries{} ORDER BY seq DESC LIMIT {}) AS last "
                              "ORDER BY seq",
                              entry_columns, where, *filter.limit),
                  visit);
  }
  return stream(fmt::format("SELECT {} FROM complycli.entries{} ORDER BY seq", entry_columns, where), visit);
}

Result<int64_t> PostgresLogStore::insert_checkpoint(int64_t size, std::string_view time, std::string_view note)
{
  auto row = TRY(query(m_conn, m_url, "INSERT INTO complycli.checkpoints(size, time, note) VALUES ($1, $2, $3) RETURNING id",
                       std::move(Params().number(size).text(time).text(note))));
  return row.int64_text(0, 0);
}

Result<std::vector<CheckpointRow>> PostgresLogStore::checkpoints()
{
  auto rows = TRY(query(m_conn, m_url, "SELECT id, size, time, note FROM complycli.checkpoints ORDER BY size, id"));
  std::vector<CheckpointRow> out;
  for (int r = 0; r < rows.rows(); ++r) {
    out.push_back({rows.int64_text(r, 0), rows.int64_text(r, 1), std::string(rows.bytes(r, 2)),
                   std::string(rows.bytes(r, 3))});
  }
  return out;
}

Result<std::optional<Hash>> PostgresLogStore::tree_node(int height, int64_t index)
{
  auto row = TRY(query(m_conn, m_url, "SELECT hash FROM complycli.merkle WHERE height = $1 AND idx = $2",
                       std::move(Params().number(height).number(index)), Format::binary));
  std::optional<Hash> out;
  if (row.rows() == 1 && row.blob(0, 0).size() == 32) {
    out.emplace();
    copy_hash(*out, row.blob(0, 0));
  }
  return out;
}

Result<void> PostgresLogStore::insert_tree_node(int height, int64_t index, const Hash &hash)
{
  TRY(query(m_conn, m_url, "INSERT INTO complycli.merkle(height, idx, hash) VALUES ($1, $2, $3)",
            std::move(Params().number(height).number(index).binary(hash))));
  return {};
}

Result<void> PostgresLogStore::insert_tree_nodes(std::span<const TreeNode> nodes)
{
  if (nodes.size() < 8) {
    for (const auto &node : nodes) {
      TRY_VOID(insert_tree_node(node.height, node.index, node.hash));
    }
    return {};
  }
  BinaryCopy copy(m_conn, m_url);
  TRY_VOID(copy.begin("COPY complycli.merkle(height, idx, hash) FROM STDIN (FORMAT binary)"));
  for (const auto &node : nodes) {
    copy.tuple(3);
    copy.int32_field(node.height);
    copy.int64_field(node.index);
    copy.bytes_field(node.hash);
  }
  return copy.end(true);
}

Result<void> PostgresLogStore::tree_nodes(const std::function<Result<void>(const TreeNode &)> &visit)
{
  auto rows = TRY(query(m_conn, m_url, "SELECT height, idx, hash FROM complycli.merkle ORDER BY height, idx", {},
                        Format::binary));
  for (int r = 0; r < rows.rows(); ++r) {
    TreeNode node;
    node.height = rows.int32_binary(r, 0);
    node.index = rows.int64_binary(r, 1);
    copy_hash(node.hash, rows.blob(r, 2));
    TRY_VOID(visit(node));
  }
  return {};
}

Result<Aggregates> PostgresLogStore::aggregates()
{
  Aggregates out;
  {
    auto row = TRY(query(m_conn, m_url,
                         "SELECT count(*), coalesce(min(time), ''), coalesce(max(time), ''), count(DISTINCT actor) "
                         "FROM complycli.entries"));
    out.entries = row.int64_text(0, 0);
    out.first_time = row.bytes(0, 1);
    out.last_time = row.bytes(0, 2);
    out.actors = row.int64_text(0, 3);
  }
  {
    auto rows = TRY(query(m_conn, m_url,
                          "SELECT action, count(*) AS n FROM complycli.entries GROUP BY action ORDER BY n DESC, action"));
    for (int r = 0; r < rows.rows(); ++r) {
      out.actions.emplace_back(std::string(rows.bytes(r, 0)), rows.int64_text(r, 1));
    }
  }
  {
    auto row = TRY(query(m_conn, m_url,
                         "SELECT count(*), coalesce(max(size), 0), coalesce((SELECT time FROM complycli.checkpoints "
                         "ORDER BY id DESC LIMIT 1), '') FROM complycli.checkpoints"));
    out.checkpoints = row.int64_text(0, 0);
    out.last_checkpoint_size = row.int64_text(0, 1);
    out.last_checkpoint_time = row.bytes(0, 2);
  }
  {
    auto row = TRY(query(m_conn, m_url,
                         "SELECT pg_total_relation_size('complycli.entries') + pg_total_relation_size('complycli.checkpoints') "
                         "+ pg_total_relation_size('complycli.merkle') + pg_total_relation_size('complycli.meta')"));
    out.bytes = row.int64_text(0, 0);
  }
  return out;
}

Result<bool> PostgresLogStore::triggers_present()
{
  auto row = TRY(query(m_conn, m_url,
                       "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON "
                       "n.oid = c.relnamespace WHERE n.nspname = 'complycli' AND t.tgenabled <> 'D' AND t.tgname IN "
                       "('entries_append_only', 'entries_no_truncate', 'checkpoints_append_only', "
                       "'checkpoints_no_truncate', 'meta_append_only', 'meta_no_truncate', 'merkle_append_only', "
                       "'merkle_no_truncate')"));
  return row.int64_text(0, 0) == trigger_count;
}

Result<std::unique_ptr<PostgresLogStore>> PostgresLogStore::connect(const std::string &url)
{
  TRY_VOID(check_postgres_url(url));
  pg_conn *conn = TRY(pg::connect(url, "audit log store"));
  std::unique_ptr<PostgresLogStore> store(new PostgresLogStore(conn, url, false));
  TRY(query(conn, url, "SET client_min_messages TO warning"));
  return store;
}

Result<bool> PostgresLogStore::has_schema()
{
  auto found = TRY(query(m_conn, m_url, "SELECT to_regclass('complycli.meta') IS NOT NULL"));
  return found.rows() == 1 && found.bytes(0, 0) == "t";
}

Result<void> PostgresLogStore::create_schema(const MetaRows &rows)
{
  TRY_VOID(script(m_conn, m_url, schema_sql));
  for (const auto &[name, value] : rows) {
    TRY(query(m_conn, m_url, "INSERT INTO complycli.meta(key, value) VALUES ($1, $2)",
              std::move(Params().text(name).text(value))));
  }
  return {};
}

} // namespace complycli::store
