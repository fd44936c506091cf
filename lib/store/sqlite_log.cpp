#include "store/sqlite_log.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace complycli::store {

namespace fs = std::filesystem;

namespace {

constexpr const char *schema_sql = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE entries(
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE TABLE checkpoints(
  id INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  time TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'audit log entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'audit log entries are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit log checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit log checkpoints are append-only'); END;
CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
  BEGIN SELECT RAISE(ABORT, 'audit log metadata is append-only'); END;
CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
  BEGIN SELECT RAISE(ABORT, 'audit log metadata is append-only'); END;
)sql";

// Schema version 2 adds this table and its two triggers.
constexpr const char *merkle_schema_sql = R"sql(
CREATE TABLE merkle(
  height INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY(height, idx)
) WITHOUT ROWID;
CREATE TRIGGER merkle_no_update BEFORE UPDATE ON merkle
  BEGIN SELECT RAISE(ABORT, 'audit log tree nodes are append-only'); END;
CREATE TRIGGER merkle_no_delete BEFORE DELETE ON merkle
  BEGIN SELECT RAISE(ABORT, 'audit log tree nodes are append-only'); END;
)sql";

constexpr const char *entry_columns = "seq, time, actor, action, target, outcome, details, prev_hash, hash";
constexpr int trigger_count = 8;
// A group of this many entries is inserted with one statement (import).
constexpr std::size_t insert_group = 32;

Error not_ours(const fs::path &path, std::string_view why)
{
  return Error{Errc::io, fmt::format("{} is not a complycli audit database: {}", path.string(), why),
               "audit.db is created by `complycli init`; move this file away to start a new log"};
}

// SQLite busy handler: sleep 0.2 to 2 ms (jittered, so that waiting processes do not wake in step)
// and give up after sqlite_busy_timeout_ms.
int busy_wait(void *, int count)
{
  using namespace std::chrono;
  thread_local steady_clock::time_point started;
  if (count == 0) {
    started = steady_clock::now();
  }
  if (steady_clock::now() - started > milliseconds(sqlite_busy_timeout_ms)) {
    return 0;
  }
  std::this_thread::sleep_for(microseconds(200 + randombytes_uniform(1800)));
  return 1;
}

// INSERT INTO entries of `rows` rows (parameters 9 * row + 1 to 9 * row + 9).
std::string insert_entries_sql(std::size_t rows)
{
  std::string sql = fmt::format("INSERT INTO entries({}) VALUES ", entry_columns);
  for (std::size_t row = 0; row < rows; ++row) {
    const auto p = 9 * row;
    sql += fmt::format("{}(?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})", row == 0 ? "" : ", ", p + 1, p + 2,
                       p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9);
  }
  return sql;
}

void bind_entry(Statement &insert, int offset, const EntryRow &row)
{
  insert.bind(offset + 1, row.seq);
  insert.bind(offset + 2, row.time);
  insert.bind(offset + 3, row.actor);
  insert.bind(offset + 4, row.action);
  insert.bind(offset + 5, row.target);
  insert.bind(offset + 6, row.outcome);
  insert.bind(offset + 7, row.details);
  insert.bind_blob(offset + 8, row.prev_hash);
  insert.bind_blob(offset + 9, row.hash);
}

EntryRow row_of(const Statement &row)
{
  return EntryRow{row.int64(0), row.text(1), row.text(2), row.text(3), row.text(4),
                  row.text(5),  row.text(6), row.blob(7), row.blob(8)};
}

void copy_hash(Hash &out, std::span<const uint8_t> bytes)
{
  out.fill(0);
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
}

} // namespace

Result<std::unique_ptr<SqliteLogStore>> SqliteLogStore::open(const fs::path &db_path, util::Access access,
                                                             int known_version,
                                                             const std::function<Result<MetaRows>()> &new_log)
{
  const bool read_only = access == util::Access::read_only;
  Database db;
  if (read_only) {
    std::error_code ec;
    if (!fs::exists(db_path, ec)) {
      return fail_with_hint(Errc::io,
                            "commands that record events create it; if this workspace had a log, restore audit.db "
                            "(with audit.db-wal and audit.db-shm) from a backup",
                            "there is no audit log: {} does not exist", db_path.string());
    }
    db = TRY(Database::open_read_only(db_path));
  } else {
    // SQLite would create the file with the umask's mode; create it first so that it (and the -wal and
    // -shm files, which SQLite gives the database's mode) is private.
    const int fd = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return fail(Errc::io, "cannot open {}: {}", db_path.string(), std::strerror(errno));
    }
    ::close(fd);
    db = TRY(Database::open(db_path));
  }
  // Wait for other writers in short, jittered sleeps (SQLite's default handler sleeps up to 100 ms at a
  // time, which wastes most of the lock's free time when many processes append at once).
  sqlite3_busy_handler(db.get(), busy_wait, nullptr);
  if (!read_only) {
    // Each complycli process is short-lived: leave the WAL in place and its checkpointing to the
    // automatic checkpoint, instead of checkpointing and deleting it on every close (three more fsyncs).
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    int persist = 1;
    sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  }

  auto read_app_id = [&]() -> Result<int64_t> {
    auto stmt = db.prepare("PRAGMA application_id");
    auto row = stmt ? stmt->step() : Result<bool>(std::unexpected(stmt.error()));
    if (!row && read_only && (sqlite3_errcode(db.get()) & 0xff) != SQLITE_NOTADB) {
      return fail_with_hint(Errc::io, "copy the workspace folder to a writable place and run complycli there",
                            "cannot read {} read-only: {}", db_path.string(), sqlite3_errmsg(db.get()));
    }
    if (!row) {
      return std::unexpected(not_ours(db_path, sqlite3_errmsg(db.get())));
    }
    return *row ? stmt->int64(0) : 0;
  };
  int64_t app_id = TRY(read_app_id());
  if (app_id == 0 && read_only) {
    return fail_with_hint(Errc::io,
                          "copy audit.db together with audit.db-wal and audit.db-shm: the newest entries, and in a "
                          "young log all of it, are in audit.db-wal",
                          "{} holds no audit log (an empty database)", db_path.string());
  }
  if (app_id == 0) {
    {
      auto count = TRY(db.prepare("SELECT count(*) FROM sqlite_master"));
      TRY(count.step());
      if (count.int64(0) != 0) {
        return std::unexpected(not_ours(db_path, "it holds other tables"));
      }
    }
    // A new log: the caller's key first (so that the log never exists without one), then the schema.
    const auto rows = TRY(new_log());
    TRY_VOID(db.exec("PRAGMA journal_mode=WAL"));
    auto transaction = TRY(Transaction::begin_immediate(db));
    app_id = TRY(read_app_id());
    if (app_id == 0) { // no other process initialised it meanwhile
      TRY_VOID(db.exec(schema_sql));
      TRY_VOID(db.exec(merkle_schema_sql));
      auto insert = TRY(db.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)"));
      for (const auto &[name, value] : rows) {
        insert.bind(1, std::string_view(name));
        insert.bind(2, std::string_view(value));
        TRY(insert.step());
        insert.reset();
      }
      TRY_VOID(db.exec(fmt::format("PRAGMA application_id={}", sqlite_application_id).c_str()));
      app_id = sqlite_application_id;
    }
    TRY_VOID(transaction.commit());
  }
  if (app_id != sqlite_application_id) {
    return std::unexpected(not_ours(db_path, fmt::format("its application id is {:#x}", app_id)));
  }
  {
    auto version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'");
    if (!version) {
      return std::unexpected(not_ours(db_path, "it has no meta table"));
    }
    const bool has_row = TRY(version->step());
    int found = 0;
    if (has_row) {
      const auto text = version->text(0);
      std::from_chars(text.data(), text.data() + text.size(), found);
    }
    if (found < 1) {
      return std::unexpected(not_ours(db_path, "it has no schema version"));
    }
    if (found > known_version) {
      return fail_with_hint(Errc::io, "upgrade complycli to read and write this log",
                            "{} has audit log schema version {}; this complycli knows version {}",
                            db_path.string(), found, known_version);
    }
  }
  std::unique_ptr<SqliteLogStore> store(new SqliteLogStore(std::move(db)));
  if (!read_only) {
    TRY_VOID(store->m_db.exec("PRAGMA synchronous=FULL"));
    store->truncate_large_wal();
  }
  return store;
}

// The WAL stays between processes (PERSIST_WAL, no checkpoint on close), and every process that opens
// the log reads it back to rebuild its index, and, not knowing what an earlier process checkpointed,
// never restarts it: left alone it grew with every append (and so did the time of every command). Once
// it is over 1 MiB, copy it into the database and truncate it. A busy log (another process writing or
// reading) is left for the next one.
void SqliteLogStore::truncate_large_wal()
{
  constexpr off_t limit = off_t{1} << 20;
  struct stat st {};
  if (::stat((m_db.path().string() + "-wal").c_str(), &st) == 0 && st.st_size > limit) {
    sqlite3_wal_checkpoint_v2(m_db.get(), "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
}

void SqliteLogStore::checkpoint_wal_passive()
{
  sqlite3_wal_checkpoint_v2(m_db.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

Result<void> SqliteLogStore::write(const std::function<Result<void>()> &body)
{
  if (m_depth > 0) {
    return body();
  }
  if (read_only()) {
    return fail(Errc::internal, "cannot write: the audit log {} was opened read-only", name());
  }
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  ++m_depth;
  auto done = body();
  --m_depth;
  TRY_VOID(done);
  return transaction.commit();
}

Result<void> SqliteLogStore::read(const std::function<Result<void>()> &body)
{
  if (m_depth > 0) {
    return body();
  }
  auto transaction = TRY(Transaction::begin_read(m_db));
  ++m_depth;
  auto done = body();
  --m_depth;
  TRY_VOID(done);
  return transaction.commit();
}

Result<std::unique_ptr<LogStore>> SqliteLogStore::open_again() const
{
  auto db = TRY(m_db.open_again());
  sqlite3_busy_handler(db.get(), busy_wait, nullptr);
  return std::unique_ptr<LogStore>(new SqliteLogStore(std::move(db)));
}

void SqliteLogStore::prepare_scan()
{
  (void)m_db.exec("PRAGMA mmap_size=1073741824");
}

Result<void> SqliteLogStore::migrate_to_v2(const std::function<Result<void>()> &fill)
{
  const std::string before = TRY(meta("schema_version"));
  if (before != "1") {
    return {};
  }
  return write([&]() -> Result<void> {
    const std::string now = TRY(meta("schema_version"));
    if (now != "1") { // another process migrated it meanwhile
      return {};
    }
    // The metadata is append-only for everyone but this migration: lift its trigger for one statement.
    TRY_VOID(m_db.exec("DROP TRIGGER meta_no_update"));
    TRY_VOID(m_db.exec("UPDATE meta SET value = '2' WHERE key = 'schema_version'"));
    TRY_VOID(m_db.exec("CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta "
                       "BEGIN SELECT RAISE(ABORT, 'audit log metadata is append-only'); END"));
    TRY_VOID(m_db.exec(merkle_schema_sql));
    m_has_tree = true;
    return fill();
  });
}

Result<std::string> SqliteLogStore::meta(std::string_view key)
{
  auto stmt = TRY(m_db.prepare("SELECT value FROM meta WHERE key = ?1"));
  stmt.bind(1, key);
  if (!TRY(stmt.step())) {
    return std::string();
  }
  return std::string(stmt.text(0));
}

Result<std::pair<int64_t, Hash>> SqliteLogStore::head()
{
  auto last = TRY(m_db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"));
  std::pair<int64_t, Hash> head{0, Hash{}};
  if (TRY(last.step())) {
    head.first = last.int64(0);
    copy_hash(head.second, last.blob(1));
  }
  return head;
}

Result<int64_t> SqliteLogStore::max_seq()
{
  auto max = TRY(m_db.prepare("SELECT coalesce(max(seq), 0) FROM entries"));
  TRY(max.step());
  return max.int64(0);
}

Result<void> SqliteLogStore::insert_entries(std::span<const EntryRow> rows)
{
  while (!rows.empty()) {
    // Whole groups with one multi-row INSERT (SQLite's per-statement work, once per group), the rest
    // row by row.
    const std::size_t count = rows.size() >= insert_group ? insert_group : 1;
    Statement &statement = count == insert_group ? m_insert_group : m_insert_one;
    if (statement.get() == nullptr) {
      statement = TRY(m_db.prepare(insert_entries_sql(count)));
    }
    for (std::size_t r = 0; r < count; ++r) {
      bind_entry(statement, static_cast<int>(9 * r), rows[r]);
    }
    auto stepped = statement.step();
    sqlite3_reset(statement.get());
    TRY(stepped);
    rows = rows.subspan(count);
  }
  return {};
}

Result<void> SqliteLogStore::entries(int64_t lo, int64_t hi, const EntryVisitor &visit)
{
  auto rows = TRY(m_db.prepare(
      fmt::format("SELECT {} FROM entries WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq", entry_columns)));
  rows.bind(1, lo);
  rows.bind(2, hi);
  while (true) {
    const int rc = sqlite3_step(rows.get());
    if (rc == SQLITE_DONE) {
      return {};
    }
    if (rc != SQLITE_ROW) {
      return std::unexpected(m_db.error("cannot read entries"));
    }
    TRY_VOID(visit(row_of(rows)));
  }
}

Result<void> SqliteLogStore::select(const EntryFilter &filter, const EntryVisitor &visit)
{
  std::string where;
  std::vector<std::string> values;
  auto add = [&](const std::optional<std::string> &value, const char *clause) {
    if (value) {
      where += where.empty() ? " WHERE " : " AND ";
      where += fmt::format(fmt::runtime(clause), values.size() + 1);
      values.push_back(*value);
    }
  };
  add(filter.since, "time >= ?{}");
  add(filter.until, "time < ?{}");
  add(filter.actor, "actor = ?{}");
  add(filter.action, "action = ?{}");
  add(filter.target, "target = ?{}");
  std::string sql = fmt::format("SELECT {} FROM entries{} ORDER BY seq", entry_columns, where);
  if (filter.limit) {
    sql = fmt::format("SELECT * FROM (SELECT {} FROM entries{} ORDER BY seq DESC LIMIT {}) ORDER BY seq",
                      entry_columns, where, *filter.limit);
  }
  auto stmt = TRY(m_db.prepare(sql));
  for (std::size_t i = 0; i < values.size(); ++i) {
    stmt.bind(static_cast<int>(i + 1), std::string_view(values[i]));
  }
  while (TRY(stmt.step())) {
    TRY_VOID(visit(row_of(stmt)));
  }
  return {};
}

Result<int64_t> SqliteLogStore::insert_checkpoint(int64_t size, std::string_view time, std::string_view note)
{
  if (m_insert_checkpoint.get() == nullptr) {
    m_insert_checkpoint = TRY(m_db.prepare("INSERT INTO checkpoints(size, time, note) VALUES (?1, ?2, ?3)"));
  }
  m_insert_checkpoint.bind(1, size);
  m_insert_checkpoint.bind(2, time);
  m_insert_checkpoint.bind(3, note);
  auto stepped = m_insert_checkpoint.step();
  sqlite3_reset(m_insert_checkpoint.get());
  TRY(stepped);
  return sqlite3_last_insert_rowid(m_db.get());
}

Result<std::vector<CheckpointRow>> SqliteLogStore::checkpoints()
{
  auto stmt = TRY(m_db.prepare("SELECT id, size, time, note FROM checkpoints ORDER BY size, id"));
  std::vector<CheckpointRow> out;
  while (TRY(stmt.step())) {
    out.push_back({stmt.int64(0), stmt.int64(1), std::string(stmt.text(2)), std::string(stmt.text(3))});
  }
  return out;
}

Result<bool> SqliteLogStore::has_tree()
{
  if (!m_has_tree) {
    auto check = TRY(m_db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'merkle'"));
    TRY(check.step());
    m_has_tree = check.int64(0) == 1;
  }
  return *m_has_tree;
}

Result<std::optional<Hash>> SqliteLogStore::tree_node(int height, int64_t index)
{
  if (!TRY(has_tree())) {
    return std::optional<Hash>();
  }
  if (m_select_node.get() == nullptr) {
    m_select_node = TRY(m_db.prepare("SELECT hash FROM merkle WHERE height = ?1 AND idx = ?2"));
  }
  m_select_node.bind(1, int64_t{height});
  m_select_node.bind(2, index);
  std::optional<Hash> out;
  auto row = m_select_node.step();
  if (row && *row && m_select_node.blob(0).size() == 32) {
    out.emplace();
    copy_hash(*out, m_select_node.blob(0));
  }
  m_select_node.reset();
  TRY(row);
  return out;
}

Result<void> SqliteLogStore::insert_tree_node(int height, int64_t index, const Hash &hash)
{
  if (m_insert_node.get() == nullptr) {
    m_insert_node = TRY(m_db.prepare("INSERT INTO merkle(height, idx, hash) VALUES (?1, ?2, ?3)"));
  }
  m_insert_node.bind(1, int64_t{height});
  m_insert_node.bind(2, index);
  m_insert_node.bind_blob(3, hash);
  auto stepped = m_insert_node.step();
  m_insert_node.reset();
  TRY(stepped);
  return {};
}

Result<void> SqliteLogStore::tree_nodes(const std::function<Result<void>(const TreeNode &)> &visit)
{
  m_has_tree.reset();
  if (!TRY(has_tree())) {
    return {};
  }
  auto rows = TRY(m_db.prepare("SELECT height, idx, hash FROM merkle ORDER BY height, idx"));
  while (TRY(rows.step())) {
    TreeNode node;
    node.height = static_cast<int>(rows.int64(0));
    node.index = rows.int64(1);
    copy_hash(node.hash, rows.blob(2));
    TRY_VOID(visit(node));
  }
  return {};
}

Result<Aggregates> SqliteLogStore::aggregates()
{
  Aggregates out;
  {
    auto stmt = TRY(m_db.prepare("SELECT count(*), min(time), max(time), count(DISTINCT actor) FROM entries"));
    TRY(stmt.step());
    out.entries = stmt.int64(0);
    out.first_time = stmt.text(1);
    out.last_time = stmt.text(2);
    out.actors = stmt.int64(3);
  }
  {
    auto stmt =
        TRY(m_db.prepare("SELECT action, count(*) AS n FROM entries GROUP BY action ORDER BY n DESC, action"));
    while (TRY(stmt.step())) {
      out.actions.emplace_back(std::string(stmt.text(0)), stmt.int64(1));
    }
  }
  {
    auto stmt = TRY(m_db.prepare("SELECT count(*), max(size) FROM checkpoints"));
    TRY(stmt.step());
    out.checkpoints = stmt.int64(0);
    out.last_checkpoint_size = stmt.int64(1);
    auto last = TRY(m_db.prepare("SELECT time FROM checkpoints ORDER BY id DESC LIMIT 1"));
    if (TRY(last.step())) {
      out.last_checkpoint_time = last.text(0);
    }
  }
  std::error_code ec;
  const auto size = fs::file_size(m_db.path(), ec);
  out.bytes = ec ? 0 : static_cast<int64_t>(size);
  const auto wal = fs::file_size(fs::path(m_db.path().string() + "-wal"), ec);
  out.bytes += ec ? 0 : static_cast<int64_t>(wal);
  return out;
}

Result<bool> SqliteLogStore::triggers_present()
{
  auto triggers = TRY(m_db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
                                   "('entries_no_update', 'entries_no_delete', 'checkpoints_no_update', "
                                   "'checkpoints_no_delete', 'meta_no_update', 'meta_no_delete', "
                                   "'merkle_no_update', 'merkle_no_delete')"));
  TRY(triggers.step());
  // A version 1 log opened read-only has no tree yet, and so no tree triggers.
  const std::string version = TRY(meta("schema_version"));
  const int expected = version == "1" ? trigger_count - 2 : trigger_count;
  return triggers.int64(0) == expected;
}

} // namespace complycli::store
