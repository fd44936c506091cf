#include "auditlog/auditlog.hpp"

#include "auditlog/import.hpp"
#include "auditlog/tree_store.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <sodium.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace complycli::auditlog {

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

constexpr const char *entry_columns = "seq, time, actor, action, target, outcome, details, prev_hash, hash";
constexpr int trigger_count = 8;
// An import inserts this many entries per INSERT statement.
constexpr std::size_t import_group = 32;
constexpr const char *insert_checkpoint_sql = "INSERT INTO checkpoints(size, time, note) VALUES (?1, ?2, ?3)";

Error not_ours(const fs::path &path, std::string_view why)
{
  return Error{Errc::io, fmt::format("{} is not a complycli audit database: {}", path.string(), why),
               "audit.db is created by `complycli init`; move this file away to start a new log"};
}

void copy_hash(Hash &out, std::span<const uint8_t> bytes)
{
  out.fill(0);
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
}

Entry read_entry(const Statement &row)
{
  Entry entry;
  entry.seq = row.int64(0);
  entry.time = row.text(1);
  entry.actor = row.text(2);
  entry.action = row.text(3);
  entry.target = row.text(4);
  entry.outcome = row.text(5);
  entry.details = row.text(6);
  copy_hash(entry.prev_hash, row.blob(7));
  copy_hash(entry.hash, row.blob(8));
  return entry;
}

Result<LogKey> load_key(const fs::path &key_path)
{
  auto text = TRY(util::read_file(key_path));
  auto key = LogKey::parse(text);
  sodium_memzero(text.data(), text.size());
  if (!key) {
    return std::unexpected(with_context(key.error(), key_path.string()));
  }
  return key;
}

// The log key at `key_path`, created (mode 0600) when there is none yet.
Result<LogKey> load_or_create_key(const fs::path &key_path)
{
  std::error_code ec;
  if (!fs::exists(key_path, ec)) {
    auto key = TRY(LogKey::generate());
    auto text = key.serialize();
    auto written = util::write_file_atomic(key_path, text, util::Overwrite::no, 0600);
    sodium_memzero(text.data(), text.size());
    if (written) {
      return key;
    }
    if (!fs::exists(key_path, ec)) { // not a lost race with another process: a real failure
      return std::unexpected(written.error());
    }
  }
  return load_key(key_path);
}

// SQLite busy handler: sleep 0.2 to 2 ms (jittered, so that waiting processes do not wake in step)
// and give up after busy_timeout_ms.
int busy_wait(void *, int count)
{
  using namespace std::chrono;
  thread_local steady_clock::time_point started;
  if (count == 0) {
    started = steady_clock::now();
  }
  if (steady_clock::now() - started > milliseconds(busy_timeout_ms)) {
    return 0;
  }
  std::this_thread::sleep_for(microseconds(200 + randombytes_uniform(1800)));
  return 1;
}

// The WAL stays between processes (PERSIST_WAL, no checkpoint on close), and every process that opens
// the log reads it back to rebuild its index, and, not knowing what an earlier process checkpointed,
// never restarts it: left alone it grew with every append (and so did the time of every command). Once
// it is over 1 MiB, copy it into the database and truncate it. A busy log (another process writing or
// reading) is left for the next one.
void truncate_large_wal(Database &db)
{
  constexpr off_t limit = off_t{1} << 20;
  struct stat st {};
  if (::stat((db.path().string() + "-wal").c_str(), &st) == 0 && st.st_size > limit) {
    sqlite3_wal_checkpoint_v2(db.get(), "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
}

} // namespace

Result<AuditLog> AuditLog::open(const core::Workspace &workspace, util::Access access)
{
  return open(workspace.audit_db_path(), workspace.log_key_path(), access);
}

Result<void> AuditLog::check_writable(const core::Workspace &workspace)
{
  const fs::path db_path = workspace.audit_db_path();
  const fs::path folder = db_path.has_parent_path() ? db_path.parent_path() : fs::path(".");
  auto refuse = [](const fs::path &path, int error) -> Result<void> {
    return fail(Errc::io, "the audit log cannot record anything: {}: {}", path.string(), std::strerror(error));
  };
  // The folder must take new files (the log's -wal and -shm files, the key of a new log), and every file
  // of the log that exists must be writable.
  if (!util::folder_takes_writes(folder)) {
    return refuse(folder, ::access(folder.c_str(), W_OK) != 0 ? errno : EACCES);
  }
  for (const auto &path : {db_path, fs::path(db_path.string() + "-wal"), fs::path(db_path.string() + "-shm")}) {
    if (::access(path.c_str(), W_OK) != 0 && errno != ENOENT) {
      return refuse(path, errno);
    }
  }
  return {};
}

Result<void> AuditLog::check_read_write(std::string_view what) const
{
  if (m_db.read_only()) {
    return fail(Errc::internal, "cannot {}: the audit log {} was opened read-only", what, m_db.path().string());
  }
  return {};
}

Result<AuditLog> AuditLog::open(const fs::path &db_path, const fs::path &key_path, util::Access access)
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
    // A new log: key first (so that the log never exists without one), then the schema.
    auto key = TRY(load_or_create_key(key_path));
    TRY_VOID(db.exec("PRAGMA journal_mode=WAL"));
    auto transaction = TRY(Transaction::begin_immediate(db));
    app_id = TRY(read_app_id());
    if (app_id == 0) { // no other process initialised it meanwhile
      TRY_VOID(db.exec(schema_sql));
      TRY_VOID(db.exec(merkle_schema_sql));
      auto insert = TRY(db.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)"));
      const std::string version = std::to_string(schema_version);
      const std::string created = util::now_rfc3339();
      const std::string vkey = key.public_key().vkey();
      const std::pair<std::string_view, std::string_view> rows[] = {{"application", "complycli audit log"},
                                                                    {"schema_version", version},
                                                                    {"origin", key.public_key().name},
                                                                    {"public_key", vkey},
                                                                    {"created", created}};
      for (const auto &[name, value] : rows) {
        insert.bind(1, name);
        insert.bind(2, value);
        TRY(insert.step());
        insert.reset();
      }
      TRY_VOID(db.exec(fmt::format("PRAGMA application_id={}", application_id).c_str()));
      app_id = application_id;
    }
    TRY_VOID(transaction.commit());
  }
  if (app_id != application_id) {
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
    if (found > schema_version) {
      return fail_with_hint(Errc::io, "upgrade complycli to read and write this log",
                            "{} has audit log schema version {}; this complycli knows version {}",
                            db_path.string(), found, schema_version);
    }
  }
  if (!read_only) {
    TRY_VOID(db.exec("PRAGMA synchronous=FULL"));
    truncate_large_wal(db);
  }
  AuditLog log(std::move(db), key_path);
  if (!read_only) {
    TRY_VOID(log.migrate_to_v2());
  }
  return log;
}

Result<void> AuditLog::migrate_to_v2()
{
  const std::string before = TRY(meta("schema_version"));
  if (before != "1") {
    return {};
  }
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  const std::string now = TRY(meta("schema_version"));
  if (now != "1") { // another process migrated it meanwhile
    return {};
  }
  // The metadata is append-only for everyone but this migration: lift its trigger for one statement.
  TRY_VOID(m_db.exec("DROP TRIGGER meta_no_update"));
  TRY_VOID(m_db.exec("UPDATE meta SET value = '2' WHERE key = 'schema_version'"));
  TRY_VOID(m_db.exec("CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta "
                     "BEGIN SELECT RAISE(ABORT, 'audit log metadata is append-only'); END"));
  TreeStore tree(m_db);
  TRY_VOID(tree.create_and_fill());
  return transaction.commit();
}

Result<std::string> AuditLog::meta(const char *key)
{
  auto stmt = TRY(m_db.prepare("SELECT value FROM meta WHERE key = ?1"));
  stmt.bind(1, std::string_view(key));
  if (!TRY(stmt.step())) {
    return std::string();
  }
  return std::string(stmt.text(0));
}

Result<const LogKey *> AuditLog::key()
{
  if (!m_key) {
    std::error_code ec;
    if (!fs::exists(m_key_path, ec)) {
      return fail_with_hint(Errc::io,
                            "restore the log key from a backup; it is never created for an existing log",
                            "the log key {} is missing", m_key_path.string());
    }
    auto key = TRY(load_key(m_key_path));
    const auto recorded = TRY(meta("public_key"));
    if (!recorded.empty() && recorded != key.public_key().vkey()) {
      return fail_with_hint(Errc::io, "restore the log key that belongs to this log from a backup",
                            "the log key {} ({}) does not match this audit log, which records {}",
                            m_key_path.string(), key.public_key().vkey(), recorded);
    }
    m_key = std::move(key);
  }
  return &*m_key;
}

Result<PublicKey> AuditLog::public_key()
{
  const auto *key = TRY(this->key());
  return key->public_key();
}

Result<void> AuditLog::store_checkpoint(int64_t size, const Hash &head, const Hash &root, Statement *insert)
{
  const auto *key = TRY(this->key());
  CheckpointBody body{key->public_key().name, size, head, util::now_rfc3339(), root};
  const auto note = sign_checkpoint(*key, body);
  Statement own;
  if (insert == nullptr) {
    own = TRY(m_db.prepare(insert_checkpoint_sql));
    insert = &own;
  }
  insert->bind(1, size);
  insert->bind(2, std::string_view(body.time));
  insert->bind(3, std::string_view(note));
  TRY(insert->step());
  sqlite3_reset(insert->get());
  return {};
}

namespace {

Result<Hash> tree_root_of(TreeStore &tree, int64_t size) { return auditlog::tree_root(tree.source(), size); }

} // namespace

// What one scan over a range of entries found.
struct ScanResult {
  std::optional<Problem> problem;
  int64_t first_seq = 0; // the first entry of a range whose previous hash was not known in advance
  Hash first_prev{};     // and that entry's stored previous hash
  int64_t last_seq = 0;  // the last entry that verified
  Hash last_hash{};
  std::vector<Hash> tiles;          // the Merkle roots of the range's whole tiles (the range starts a tile)
  std::map<int64_t, Hash> partials; // at checkpoint sizes and the end: the root of the last tile's leaves
};

namespace {

// An entry validated and ready to hash (append).
struct PreparedEntry {
  std::string time, actor, action, target, outcome, details;
};

Result<PreparedEntry> prepare_entry(NewEntry &&entry, const std::string &now)
{
  if (entry.action.empty()) {
    return fail(Errc::usage, "an entry needs an action");
  }
  if (!valid_outcome(entry.outcome)) {
    return fail(Errc::usage, "outcome must be ok, denied or error, not {}", entry.outcome);
  }
  PreparedEntry out;
  if (entry.time.empty()) {
    out.time = now;
  } else {
    auto normal = normalise_time(entry.time);
    if (!normal) {
      return fail(Errc::usage, "time {} is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS.ffffffZ)", entry.time);
    }
    out.time = std::move(*normal);
  }
  out.details = TRY(canonical_details(entry.details));
  out.actor = std::move(entry.actor);
  out.action = std::move(entry.action);
  out.target = std::move(entry.target);
  out.outcome = std::move(entry.outcome);
  return out;
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

// Bind an entry's columns to parameters offset + 1 to offset + 9 (without copies: the fields and
// hashes must outlive the step).
void bind_entry(Statement &insert, int offset, const EntryFields &fields, const Hash &prev_hash,
                const Hash &hash)
{
  insert.bind(offset + 1, fields.seq);
  insert.bind(offset + 2, fields.time);
  insert.bind(offset + 3, fields.actor);
  insert.bind(offset + 4, fields.action);
  insert.bind(offset + 5, fields.target);
  insert.bind(offset + 6, fields.outcome);
  insert.bind(offset + 7, fields.details);
  insert.bind_blob(offset + 8, prev_hash);
  insert.bind_blob(offset + 9, hash);
}

Result<std::pair<int64_t, Hash>> read_head(Database &db)
{
  auto last = TRY(db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"));
  std::pair<int64_t, Hash> head{0, Hash{}};
  if (TRY(last.step())) {
    head.first = last.int64(0);
    copy_hash(head.second, last.blob(1));
  }
  return head;
}

// Batches between an import's parser threads, which fill them, and its writer (the caller's thread),
// which hashes and inserts their entries in input order and gives them back for reuse.
class BatchPipe {
public:
  explicit BatchPipe(int batches)
  {
    for (int i = 0; i < batches; ++i) {
      m_free.push_back(std::make_unique<ImportBatch>());
    }
  }
  // An empty batch to fill, or null when the writer has given up.
  std::unique_ptr<ImportBatch> take_free()
  {
    std::unique_ptr<ImportBatch> batch;
    {
      std::unique_lock lock(m_mutex);
      m_free_ready.wait(lock, [&] { return !m_free.empty() || m_cancelled; });
      if (m_cancelled) {
        return nullptr;
      }
      batch = std::move(m_free.back());
      m_free.pop_back();
    }
    batch->clear();
    return batch;
  }
  void send(std::unique_ptr<ImportBatch> batch)
  {
    std::lock_guard lock(m_mutex);
    const auto index = batch->index;
    m_full.emplace(index, std::move(batch));
    m_full_ready.notify_one();
  }
  // The batch of block `index` (blocks are taken in order, so it always comes).
  std::unique_ptr<ImportBatch> receive(int64_t index)
  {
    std::unique_lock lock(m_mutex);
    m_full_ready.wait(lock, [&] { return m_full.contains(index); });
    auto node = m_full.extract(index);
    return std::move(node.mapped());
  }
  void give_back(std::unique_ptr<ImportBatch> batch)
  {
    std::lock_guard lock(m_mutex);
    m_free.push_back(std::move(batch));
    m_free_ready.notify_one();
  }
  void cancel()
  {
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    m_free_ready.notify_all();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_free_ready, m_full_ready;
  std::vector<std::unique_ptr<ImportBatch>> m_free;
  std::map<int64_t, std::unique_ptr<ImportBatch>> m_full;
  bool m_cancelled = false;
};

// util::start_writeback for a file SQLite writes (the WAL, the database), by path: SQLite's fsync at
// commit then finds the pages on disk already. Does nothing if the file cannot be opened.
class Writeback {
public:
  explicit Writeback(const fs::path &path) : m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  Writeback(const Writeback &) = delete;
  Writeback &operator=(const Writeback &) = delete;
  ~Writeback()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  void start() { util::start_writeback(m_fd); }

private:
  int m_fd;
};

// How many threads parse an import's lines: parsing JSON is most of an import's work.
int import_parser_threads()
{
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1U, 4U));
}

} // namespace

Result<Entry> AuditLog::append(const NewEntry &entry)
{
  TRY_VOID(check_read_write("append"));
  auto prepared = TRY(prepare_entry(NewEntry(entry), util::now_rfc3339()));
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  const auto head = TRY(read_head(m_db));
  auto insert = TRY(m_db.prepare(insert_entries_sql(1)));
  Entry out;
  out.seq = head.first + 1;
  out.time = std::move(prepared.time);
  out.actor = std::move(prepared.actor);
  out.action = std::move(prepared.action);
  out.target = std::move(prepared.target);
  out.outcome = std::move(prepared.outcome);
  out.details = std::move(prepared.details);
  out.prev_hash = head.second;
  const EntryFields fields{out.seq, out.time, out.actor, out.action, out.target, out.outcome, out.details};
  out.hash = EntryHasher(HashEngine::single).hash(fields, out.prev_hash);
  bind_entry(insert, 0, fields, out.prev_hash, out.hash);
  TRY(insert.step());
  if (out.seq % tile_width == 0 || out.seq % checkpoint_interval == 0) {
    TreeStore tree(m_db);
    TRY_VOID(tree.grow_to(out.seq));
    if (out.seq % checkpoint_interval == 0) {
      const auto root = TRY(tree_root_of(tree, out.seq));
      TRY_VOID(store_checkpoint(out.seq, out.hash, root));
    }
  }
  TRY_VOID(transaction.commit());
  return out;
}

Result<int64_t> AuditLog::import(std::istream &input, const std::string &source_name,
                                 const std::string &default_actor)
{
  TRY_VOID(check_read_write("import"));
  // Entries without a time get the import's time (one transaction, one moment).
  const std::string now = util::now_rfc3339();
  // Move what the WAL holds into the database first (a passive checkpoint: it waits for nobody), so
  // that if the import fails on a full disk, its rollback can give all of the WAL's space back
  // without writing anything (see roll_back in sqlite.cpp).
  sqlite3_wal_checkpoint_v2(m_db.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  auto [seq, prev_hash] = TRY(read_head(m_db));
  auto insert = TRY(m_db.prepare(insert_entries_sql(1)));
  auto insert_group = TRY(m_db.prepare(insert_entries_sql(import_group)));
  auto insert_checkpoint = TRY(m_db.prepare(insert_checkpoint_sql));
  std::array<Hash, import_group + 1> chain{}; // a group's previous hash and its entries' hashes
  std::array<Hash, import_group> roots{};      // the tree heads at the group's checkpoint sizes
  EntryHasher hasher;
  TreeStore tree_store(m_db);
  auto tree = TRY(TreeBuilder::resume(tree_store.source(), seq));
  const auto tree_sink = TRY(tree_store.sink());

  // The WAL this transaction writes sits in the page cache until the commit syncs it: have the kernel
  // write it back meanwhile, so that the commit's sync has little left to wait for.
  Writeback wal_writeback(fs::path(m_db.path().string() + "-wal"));

  // Parser threads take blocks of lines in turn and parse and validate them, while this thread hashes
  // and inserts the entries in input order.
  BlockReader blocks(input);
  const int parsers = import_parser_threads();
  BatchPipe pipe(2 * parsers + 2);
  auto parse_blocks = [&] {
    RecordParser parser(source_name, default_actor, now);
    while (true) {
      auto batch = pipe.take_free();
      if (!batch) {
        return;
      }
      const auto block = blocks.next(batch->input);
      if (!block) {
        return;
      }
      batch->index = block->index;
      batch->last = block->last;
      int64_t line_number = block->lines_before;
      std::string_view rest = batch->input;
      while (!rest.empty()) {
        const auto newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        ++line_number;
        if (!line.empty() && line.back() == '\r') {
          line.remove_suffix(1);
        }
        if (line.find_first_not_of(" \t") == std::string_view::npos) {
          continue;
        }
        if (auto parsed = parser.parse(line, line_number, *batch); !parsed) {
          batch->error = std::move(parsed.error());
          batch->last = true;
          blocks.stop();
          break;
        }
      }
      if (!batch->error && block->failed) {
        batch->error = Error{Errc::io, fmt::format("cannot read {}", source_name), {}};
      }
      const bool last = batch->last;
      pipe.send(std::move(batch));
      if (last) {
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < parsers; ++i) {
    threads.emplace_back(parse_blocks);
  }

  int64_t count = 0;
  std::optional<Error> failure;
  bool last = false;
  for (int64_t index = 0; !failure && !last; ++index) {
    auto batch = pipe.receive(index);
    const auto &records = batch->records;
    for (std::size_t i = 0; i < records.size() && !failure;) {
      // Whole groups with one multi-row INSERT (SQLite's per-statement work, once per group), the
      // rest row by row.
      const std::size_t rows = records.size() - i >= import_group ? import_group : 1;
      Statement &statement = rows == import_group ? insert_group : insert;
      chain[0] = prev_hash;
      for (std::size_t r = 0; r < rows && !failure; ++r) {
        const auto fields = batch->fields(records[i + r], seq + 1 + static_cast<int64_t>(r));
        Hash leaf{};
        chain[r + 1] = hasher.hash(fields, chain[r], &leaf);
        bind_entry(statement, static_cast<int>(9 * r), fields, chain[r], chain[r + 1]);
        if (auto added = tree.add(leaf, tree_sink); !added) {
          failure = std::move(added.error());
        } else if (tree.size() % checkpoint_interval == 0) {
          roots[r] = tree.root();
        }
      }
      if (failure) {
        break;
      }
      if (auto stepped = statement.step(); !stepped) {
        failure = std::move(stepped.error());
        break;
      }
      sqlite3_reset(statement.get());
      for (std::size_t r = 0; r < rows; ++r) {
        ++seq;
        if (seq % checkpoint_interval == 0) {
          if (auto stored = store_checkpoint(seq, chain[r + 1], roots[r], &insert_checkpoint); !stored) {
            failure = std::move(stored.error());
            break;
          }
        }
      }
      prev_hash = chain[rows];
      count += static_cast<int64_t>(rows);
      i += rows;
    }
    if (!failure && batch->error) {
      failure = std::move(batch->error);
    }
    last = batch->last;
    pipe.give_back(std::move(batch));
    if (index % 4 == 3) {
      wal_writeback.start();
    }
  }
  pipe.cancel();
  for (auto &thread : threads) {
    thread.join();
  }
  if (failure) {
    return std::unexpected(std::move(*failure));
  }
  // The commit writes the rest of the WAL and syncs it, then SQLite's automatic checkpoint copies the
  // WAL into audit.db and syncs that: write audit.db back while it is being copied.
  wal_writeback.start();
  Writeback db_writeback(m_db.path());
  std::mutex flusher_mutex;
  std::condition_variable flusher_wake;
  bool committed = false;
  std::thread flusher([&] {
    std::unique_lock lock(flusher_mutex);
    while (!flusher_wake.wait_for(lock, std::chrono::milliseconds(10), [&] { return committed; })) {
      lock.unlock();
      db_writeback.start();
      lock.lock();
    }
  });
  auto commit = transaction.commit();
  {
    std::lock_guard lock(flusher_mutex);
    committed = true;
  }
  flusher_wake.notify_one();
  flusher.join();
  TRY_VOID(commit);
  truncate_large_wal(m_db);
  return count;
}

Result<void> AuditLog::for_each(const Filter &filter, const std::function<Result<void>(const Entry &)> &visit)
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
    TRY_VOID(visit(read_entry(stmt)));
  }
  return {};
}

Result<std::optional<Entry>> AuditLog::get(int64_t seq)
{
  auto stmt = TRY(m_db.prepare(fmt::format("SELECT {} FROM entries WHERE seq = ?1", entry_columns)));
  stmt.bind(1, seq);
  if (!TRY(stmt.step())) {
    return std::optional<Entry>();
  }
  return std::optional<Entry>(read_entry(stmt));
}

Result<StoredCheckpoint> AuditLog::checkpoint()
{
  TRY_VOID(check_read_write("store a checkpoint"));
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  auto last = TRY(m_db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"));
  int64_t size = 0;
  Hash head{};
  if (TRY(last.step())) {
    size = last.int64(0);
    copy_hash(head, last.blob(1));
  }
  TreeStore tree(m_db);
  const auto root = TRY(tree_root_of(tree, size));
  TRY_VOID(store_checkpoint(size, head, root));
  auto stored = TRY(m_db.prepare("SELECT id, size, time, note FROM checkpoints ORDER BY id DESC LIMIT 1"));
  TRY(stored.step());
  StoredCheckpoint out{stored.int64(0), stored.int64(1), std::string(stored.text(2)),
                       std::string(stored.text(3))};
  TRY_VOID(transaction.commit());
  return out;
}

Result<std::vector<StoredCheckpoint>> AuditLog::checkpoints()
{
  auto stmt = TRY(m_db.prepare("SELECT id, size, time, note FROM checkpoints ORDER BY size, id"));
  std::vector<StoredCheckpoint> out;
  while (TRY(stmt.step())) {
    out.push_back({stmt.int64(0), stmt.int64(1), std::string(stmt.text(2)), std::string(stmt.text(3))});
  }
  return out;
}

Result<VerifyReport> AuditLog::verify(const VerifyOptions &options)
{
  VerifyReport report;
  PublicKey trusted;
  const auto recorded = TRY(meta("public_key"));
  if (options.pubkey) {
    trusted = *options.pubkey;
  } else {
    std::error_code ec;
    if (!fs::exists(m_key_path, ec)) {
      return fail_with_hint(Errc::io,
                            "pass the log's public key with --pubkey (see `complycli audit pubkey`)",
                            "the log key {} is missing", m_key_path.string());
    }
    trusted = TRY(load_key(m_key_path)).public_key();
    if (!recorded.empty() && recorded != trusted.vkey()) {
      return fail_with_hint(Errc::io,
                            "restore the log key that belongs to this log, or verify with --pubkey KEY",
                            "the log key {} ({}) does not match this audit log, which records {}",
                            m_key_path.string(), trusted.vkey(), recorded);
    }
  }
  report.key_vkey = trusted.vkey();

  auto problem = [&](int64_t seq, std::string kind, std::string message) -> Result<VerifyReport> {
    report.problem = Problem{seq, std::move(kind), std::move(message)};
    return report;
  };

  // One snapshot of the whole database.
  auto transaction = TRY(Transaction::begin_read(m_db));
  bool version_1 = false; // a version 1 log opened read-only: no stored tree yet
  TRY_VOID(m_db.exec("PRAGMA mmap_size=1073741824"));
  {
    auto triggers = TRY(m_db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
                                     "('entries_no_update', 'entries_no_delete', 'checkpoints_no_update', "
                                     "'checkpoints_no_delete', 'meta_no_update', 'meta_no_delete', "
                                     "'merkle_no_update', 'merkle_no_delete')"));
    TRY(triggers.step());
    // A version 1 log opened read-only has no tree yet, and so no tree triggers.
    const std::string version = TRY(meta("schema_version"));
    version_1 = version == "1";
    const int expected = version_1 ? trigger_count - 2 : trigger_count;
    report.triggers_present = triggers.int64(0) == expected;
  }

  // Stored checkpoints and anchors, ordered by the size they cover.
  struct Expectation {
    int64_t size = 0;
    Hash head{};
    std::string what; // "checkpoint #3" or "anchor FILE"
    std::optional<Hash> root; // version 2 checkpoints: the Merkle root
    bool anchor = false;
    std::optional<std::string> bad; // a signature or parse problem, reported at its size
  };
  std::multimap<int64_t, Expectation> expectations;
  auto add_expectation = [&](std::string what, std::string_view note, bool anchor, int64_t stored_size) {
    auto body = open_checkpoint(note, trusted);
    Expectation e;
    e.what = std::move(what);
    e.anchor = anchor;
    e.size = stored_size;
    if (body) {
      e.size = body->size;
      e.head = body->head;
      e.root = body->root;
      if (!anchor && body->size != stored_size) {
        e.bad = fmt::format("the note says size {}, the table says {}", body->size, stored_size);
      }
    } else {
      e.bad = body.error().message;
    }
    expectations.emplace(e.size, std::move(e));
  };
  std::set<int64_t> checkpointed_sizes;
  for (const auto &stored : TRY(checkpoints())) {
    add_expectation(fmt::format("checkpoint #{}", stored.id), stored.note, false, stored.size);
    checkpointed_sizes.insert(stored.size);
    ++report.checkpoints;
  }
  for (const auto &anchor : options.anchors) {
    auto body = open_checkpoint(anchor.note, trusted);
    if (!body) {
      if (body.error().code == Errc::parse) {
        return fail(Errc::parse, "anchor {}: {}", anchor.name, body.error().message);
      }
      return problem(0, "bad anchor signature",
                     fmt::format("anchor {}: bad anchor signature: {}", anchor.name, body.error().message));
    }
    add_expectation(fmt::format("anchor {}", anchor.name), anchor.note, true, 0);
    ++report.anchors;
  }

  auto check_expectations_at = [&](int64_t seq, const Hash &head) -> std::optional<Problem> {
    auto [begin, end] = expectations.equal_range(seq);
    for (auto it = begin; it != end; ++it) {
      const auto &e = it->second;
      if (e.bad) {
        return Problem{seq, "bad checkpoint signature",
                       fmt::format("entry {}: bad checkpoint signature: {}: {}", seq, e.what, *e.bad)};
      }
      if (e.head != head) {
        if (e.anchor) {
          return Problem{seq, "anchor hash not in log",
                         fmt::format("entry {}: anchor hash not in log: the log differs from {} here (it was "
                                     "rewritten at or before entry {})",
                                     seq, e.what, seq)};
        }
        return Problem{seq, "checkpoint not a prefix",
                       fmt::format("entry {}: checkpoint not a prefix: {} was signed over a different log "
                                   "({} there, the log has {})",
                                   seq, e.what, util::to_hex(e.head), util::to_hex(head))};
      }
    }
    if (seq > 0 && seq % checkpoint_interval == 0 && !checkpointed_sizes.contains(seq)) {
      return Problem{
          seq, "missing checkpoint",
          fmt::format("entry {}: missing checkpoint: the one made automatically at this size is gone", seq)};
    }
    return std::nullopt;
  };

  Hash previous{};
  if (auto p = check_expectations_at(0, previous)) {
    return problem(p->seq, p->kind, p->message);
  }
  int64_t max_seq = 0;
  {
    auto max = TRY(m_db.prepare("SELECT max(seq) FROM entries"));
    TRY(max.step());
    max_seq = max.int64(0);
  }
  auto first_expected_from = [&](int64_t lo) {
    const auto next = expectations.lower_bound(lo);
    return next == expectations.end() ? int64_t{-1} : next->first;
  };
  // Scan entries lo..hi (inclusive). The expected previous hash of entry lo is `prev` when known; the
  // second half of a parallel scan learns it from the first half afterwards.
  auto scan = [&](Database &db, EntryHasher &hasher, int64_t lo, int64_t hi,
                  std::optional<Hash> prev) -> Result<ScanResult> {
    ScanResult result;
    result.last_seq = lo - 1;
    auto rows = TRY(db.prepare(
        fmt::format("SELECT {} FROM entries WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq", entry_columns)));
    rows.bind(1, lo);
    rows.bind(2, hi);
    Hash last = prev.value_or(Hash{});
    bool link_known = prev.has_value();
    std::vector<Hash> tile_leaves;
    tile_leaves.reserve(static_cast<std::size_t>(tile_width));
    Hash leaf{};
    int64_t last_seq = lo - 1;
    int64_t next_expected = first_expected_from(lo);
    while (true) {
      const int rc = sqlite3_step(rows.get());
      if (rc == SQLITE_DONE) {
        break;
      }
      if (rc != SQLITE_ROW) {
        return std::unexpected(db.error("cannot read entries"));
      }
      const int64_t seq = rows.int64(0);
      if (seq == last_seq) {
        result.problem = Problem{
            seq, "duplicate", fmt::format("entry {}: duplicate: two entries have this sequence number", seq)};
        break;
      }
      if (seq != last_seq + 1) {
        result.problem = Problem{
            last_seq + 1, "gap",
            fmt::format("entry {}: gap: missing, entry {} follows entry {}", last_seq + 1, seq, last_seq)};
        break;
      }
      const auto prev_hash = rows.blob(7);
      const auto stored = rows.blob(8);
      if (prev_hash.size() != 32) {
        result.problem = Problem{
            seq, "broken link", fmt::format("entry {}: broken link: its previous hash is not 32 bytes", seq)};
        break;
      }
      if (!link_known) {
        result.first_seq = seq;
        copy_hash(result.first_prev, prev_hash);
        link_known = true;
      } else if (std::memcmp(prev_hash.data(), last.data(), 32) != 0) {
        result.problem = Problem{
            seq, "broken link",
            fmt::format("entry {}: broken link: its previous hash is not entry {}'s hash", seq, seq - 1)};
        break;
      }
      last = hasher.hash(EntryFields{seq, rows.text(1), rows.text(2), rows.text(3), rows.text(4),
                                     rows.text(5), rows.text(6)},
                         std::span<const uint8_t, 32>(prev_hash.data(), 32), &leaf);
      tile_leaves.push_back(leaf);
      if (seq % tile_width == 0) {
        result.tiles.push_back(root_of(tile_leaves));
        tile_leaves.clear();
      }
      if (stored.size() != 32 || std::memcmp(stored.data(), last.data(), 32) != 0) {
        result.problem =
            Problem{seq, "hash mismatch",
                    fmt::format("entry {}: hash mismatch: the entry was changed after it was written", seq)};
        break;
      }
      last_seq = seq;
      if (seq == next_expected || seq % checkpoint_interval == 0) {
        if (seq == next_expected && !tile_leaves.empty()) {
          result.partials[seq] = root_of(tile_leaves);
        }
        if (auto p = check_expectations_at(seq, last)) {
          result.problem = std::move(p);
          break;
        }
        next_expected = first_expected_from(seq + 1);
      }
    }
    result.last_seq = last_seq;
    result.last_hash = last;
    if (!tile_leaves.empty()) {
      result.partials[last_seq] = root_of(tile_leaves);
    }
    return result;
  };

  ScanResult scanned;
  if (max_seq < options.parallel_threshold || max_seq / 2 < tile_width) {
    EntryHasher hasher;
    scanned = TRY(scan(m_db, hasher, 1, max_seq, Hash{}));
  } else {
    // Two halves at once, each with its own connection: every entry's hash depends only on its own
    // row, so only the link between the halves waits for both.
    // The halves meet at a tile boundary: each computes the roots of its own tiles.
    const int64_t mid = max_seq / 2 / tile_width * tile_width;
    auto second_db = TRY(m_db.open_again());
    sqlite3_busy_handler(second_db.get(), busy_wait, nullptr);
    auto second_transaction = TRY(Transaction::begin_read(second_db));
    TRY_VOID(second_db.exec("PRAGMA mmap_size=1073741824"));
    Result<ScanResult> second = ScanResult{};
    std::thread worker([&] {
      EntryHasher hasher;
      second = scan(second_db, hasher, mid + 1, max_seq, std::nullopt);
    });
    EntryHasher hasher;
    auto first = scan(m_db, hasher, 1, mid, Hash{});
    worker.join();
    TRY_VOID(second_transaction.commit());
    if (!first) {
      return std::unexpected(first.error());
    }
    if (!second) {
      return std::unexpected(second.error());
    }
    scanned = *first;
    if (!scanned.problem && first->last_seq < mid) { // the first half ended early: entries are missing
      auto next = TRY(m_db.prepare("SELECT min(seq) FROM entries WHERE seq > ?1"));
      next.bind(1, first->last_seq);
      TRY(next.step());
      scanned.problem = Problem{first->last_seq + 1, "gap",
                                fmt::format("entry {}: gap: missing, entry {} follows entry {}",
                                            first->last_seq + 1, next.int64(0), first->last_seq)};
    } else if (!scanned.problem) {
      if (second->first_seq == mid + 1 && second->first_prev != first->last_hash) {
        scanned.problem = Problem{
            mid + 1, "broken link",
            fmt::format("entry {}: broken link: its previous hash is not entry {}'s hash", mid + 1, mid)};
      } else {
        scanned.problem = second->problem;
        scanned.last_seq = second->last_seq;
        scanned.last_hash = second->last_hash;
        scanned.tiles.insert(scanned.tiles.end(), second->tiles.begin(), second->tiles.end());
        scanned.partials.merge(second->partials);
      }
    }
  }
  if (scanned.problem) {
    return problem(scanned.problem->seq, scanned.problem->kind, scanned.problem->message);
  }
  const int64_t last_seq = scanned.last_seq;
  previous = scanned.last_seq == 0 ? Hash{} : scanned.last_hash;
  report.entries = last_seq;
  report.head = previous;
  // Checkpoints and anchors beyond the end: the log lost entries.
  for (auto it = expectations.upper_bound(last_seq); it != expectations.end(); ++it) {
    const auto &e = it->second;
    if (e.bad) {
      return problem(e.size, "bad checkpoint signature",
                     fmt::format("entry {}: bad checkpoint signature: {}: {}", e.size, e.what, *e.bad));
    }
    return problem(
        last_seq + 1, e.anchor ? "log shorter than anchor" : "log shorter than checkpoint",
        fmt::format("entry {}: log shorter than {}: {} covers {} entries but the log has {} (truncated)",
                    last_seq + 1, e.anchor ? "anchor" : "checkpoint", e.what, e.size, last_seq));
  }
  // The Merkle tree: the levels above the tiles, every version 2 checkpoint's and anchor's root, and the
  // stored subtrees proofs are made from.
  std::vector<std::vector<Hash>> levels{std::move(scanned.tiles)}; // levels[j]: height stored_height + j
  while (levels.back().size() > 1) {
    const auto &below = levels.back();
    std::vector<Hash> above(below.size() / 2);
    for (std::size_t i = 0; i < above.size(); ++i) {
      above[i] = node_hash(below[2 * i], below[2 * i + 1]);
    }
    levels.push_back(std::move(above));
  }
  auto root_at = [&](int64_t size) -> Hash {
    if (size == 0) {
      return empty_root();
    }
    std::optional<Hash> r;
    if (size % tile_width != 0) {
      const auto partial = scanned.partials.find(size);
      if (partial == scanned.partials.end()) {
        throw std::logic_error(fmt::format("verify kept no partial tile at size {}", size));
      }
      r = partial->second;
    }
    for (int h = stored_height; (size >> h) != 0; ++h) {
      if (((size >> h) & 1) != 0) {
        const auto &node = levels[static_cast<std::size_t>(h - stored_height)]
                                 [static_cast<std::size_t>((size >> h) - 1)];
        r = r ? node_hash(node, *r) : node;
      }
    }
    return *r;
  };
  report.root = root_at(last_seq);
  for (auto it = expectations.begin(); it != expectations.end() && it->first <= last_seq; ++it) {
    const auto &e = it->second;
    if (e.root && *e.root != root_at(e.size)) {
      return problem(e.size, e.anchor ? "anchor root not in log" : "checkpoint root mismatch",
                     fmt::format("entry {}: {}: the Merkle root of {} is not the log's tree head of size {}",
                                 e.size, e.anchor ? "anchor root not in log" : "checkpoint root mismatch",
                                 e.what, e.size));
    }
  }
  {
    std::vector<int64_t> seen(levels.size(), 0);
    std::optional<Problem> bad_node;
    TreeStore tree(m_db);
    TRY_VOID(tree.for_each_node([&](const TreeStore::Node &node) -> Result<void> {
      const auto level = static_cast<std::size_t>(node.height - stored_height);
      const int64_t last_leaf = (node.index + 1) << node.height;
      if (node.height < stored_height || level >= levels.size() || node.index < 0 ||
          static_cast<std::size_t>(node.index) >= levels[level].size() ||
          levels[level][static_cast<std::size_t>(node.index)] != node.hash) {
        if (!bad_node || last_leaf < bad_node->seq) {
          bad_node = Problem{last_leaf, "tree node mismatch",
                             fmt::format("entry {}: tree node mismatch: the stored subtree of height {} ending "
                                         "here is not the hash of the entries",
                                         last_leaf, node.height)};
        }
      } else {
        ++seen[level];
      }
      return {};
    }));
    if (bad_node) {
      return problem(bad_node->seq, bad_node->kind, bad_node->message);
    }
    if (!version_1) {
      for (std::size_t level = 0; level < levels.size(); ++level) {
        if (seen[level] != static_cast<int64_t>(levels[level].size())) {
          return problem(0, "tree node missing",
                         fmt::format("tree node missing: {} of the {} stored subtrees of height {} are missing",
                                     static_cast<int64_t>(levels[level].size()) - seen[level],
                                     levels[level].size(), stored_height + static_cast<int>(level)));
        }
      }
    }
  }
  TRY_VOID(transaction.commit());
  return report;
}

Result<Hash> AuditLog::tree_root(int64_t size)
{
  auto transaction = TRY(Transaction::begin_read(m_db));
  const auto [last, head] = TRY(read_head(m_db));
  if (size < 0 || size > last) {
    return fail(Errc::usage, "the log has {} entries, not {}", last, size);
  }
  TreeStore tree(m_db);
  auto root = TRY(tree_root_of(tree, size));
  TRY_VOID(transaction.commit());
  return root;
}

Result<std::vector<Hash>> AuditLog::inclusion_proof(int64_t seq, int64_t size)
{
  auto transaction = TRY(Transaction::begin_read(m_db));
  const auto [last, head] = TRY(read_head(m_db));
  if (size > last || seq < 1 || seq > size) {
    return fail(Errc::usage, "entry {} is not in the first {} entries of a log of {}", seq, size, last);
  }
  TreeStore tree(m_db);
  auto proof = TRY(auditlog::inclusion_proof(tree.source(), seq - 1, size));
  TRY_VOID(transaction.commit());
  return proof;
}

Result<std::vector<Hash>> AuditLog::consistency_proof(int64_t old_size, int64_t new_size)
{
  auto transaction = TRY(Transaction::begin_read(m_db));
  const auto [last, head] = TRY(read_head(m_db));
  if (new_size > last || old_size < 0 || old_size > new_size) {
    return fail(Errc::usage, "no consistency proof from size {} to size {} in a log of {} entries", old_size,
                new_size, last);
  }
  TreeStore tree(m_db);
  auto proof = TRY(auditlog::consistency_proof(tree.source(), old_size, new_size));
  TRY_VOID(transaction.commit());
  return proof;
}

Result<std::optional<StoredCheckpoint>> AuditLog::latest_checkpoint()
{
  auto stmt = TRY(m_db.prepare("SELECT id, size, time, note FROM checkpoints ORDER BY size DESC, id DESC LIMIT 1"));
  if (!TRY(stmt.step())) {
    return std::optional<StoredCheckpoint>();
  }
  return std::optional<StoredCheckpoint>(StoredCheckpoint{stmt.int64(0), stmt.int64(1), std::string(stmt.text(2)),
                                                          std::string(stmt.text(3))});
}

Result<TlogProof> AuditLog::prove(int64_t seq, const std::optional<std::string> &checkpoint_note)
{
  const auto recorded = TRY(meta("public_key"));
  const auto key = TRY(parse_vkey(recorded));
  std::string note;
  if (checkpoint_note) {
    note = *checkpoint_note;
  } else {
    auto latest = TRY(latest_checkpoint());
    std::optional<CheckpointBody> body;
    if (latest) {
      if (auto opened = open_checkpoint(latest->note, key)) {
        body = *opened;
      }
    }
    if (!body || !body->root || body->size < seq) {
      if (m_db.read_only()) {
        return fail_with_hint(Errc::io, "run `complycli audit checkpoint` in the workspace first",
                              "no stored checkpoint with a Merkle root covers entry {}", seq);
      }
      latest = TRY(checkpoint());
    }
    note = latest->note;
  }
  const auto body = TRY(open_checkpoint(note, key));
  if (!body.root) {
    return fail(Errc::usage, "the checkpoint has no Merkle root (a version 1 checkpoint): make a new one with "
                             "`complycli audit checkpoint`");
  }
  if (seq < 1 || seq > body.size) {
    return fail(Errc::usage, "entry {} is not covered by the checkpoint, which has {} entries", seq, body.size);
  }
  TlogProof proof;
  proof.index = seq - 1;
  proof.path = TRY(inclusion_proof(seq, body.size));
  proof.checkpoint = note;
  // The log must agree with the checkpoint (a checkpoint of another log, or of a rewritten one, would
  // give a proof that fails later, far from the cause).
  const auto entry = TRY(get(seq));
  const auto data = entry ? entry_leaf_data(*entry) : std::string();
  const auto leaf = leaf_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  if (!entry || !verify_inclusion(leaf, proof.index, body.size, proof.path, *body.root)) {
    return fail_with_hint(Errc::chain_broken, "run `complycli audit verify`",
                          "the log does not match the checkpoint of size {}: no proof for entry {}", body.size, seq);
  }
  return proof;
}

Result<Stats> AuditLog::stats()
{
  Stats stats;
  auto transaction = TRY(Transaction::begin_read(m_db));
  {
    auto stmt =
        TRY(m_db.prepare("SELECT count(*), min(time), max(time), count(DISTINCT actor) FROM entries"));
    TRY(stmt.step());
    stats.entries = stmt.int64(0);
    stats.first_time = stmt.text(1);
    stats.last_time = stmt.text(2);
    stats.actors = stmt.int64(3);
  }
  {
    auto stmt = TRY(m_db.prepare("SELECT hash FROM entries ORDER BY seq DESC LIMIT 1"));
    if (TRY(stmt.step())) {
      copy_hash(stats.head, stmt.blob(0));
    }
  }
  {
    auto stmt = TRY(
        m_db.prepare("SELECT action, count(*) AS n FROM entries GROUP BY action ORDER BY n DESC, action"));
    while (TRY(stmt.step())) {
      stats.actions.emplace_back(std::string(stmt.text(0)), stmt.int64(1));
    }
  }
  {
    auto stmt = TRY(m_db.prepare("SELECT count(*), max(size) FROM checkpoints"));
    TRY(stmt.step());
    stats.checkpoints = stmt.int64(0);
    stats.last_checkpoint_size = stmt.int64(1);
    auto last = TRY(m_db.prepare("SELECT time FROM checkpoints ORDER BY id DESC LIMIT 1"));
    if (TRY(last.step())) {
      stats.last_checkpoint_time = last.text(0);
    }
  }
  stats.origin = TRY(meta("origin"));
  stats.vkey = TRY(meta("public_key"));
  std::error_code ec;
  const auto size = fs::file_size(m_db.path(), ec);
  stats.file_bytes = ec ? 0 : static_cast<int64_t>(size);
  const auto wal = fs::file_size(fs::path(m_db.path().string() + "-wal"), ec);
  stats.file_bytes += ec ? 0 : static_cast<int64_t>(wal);
  TRY_VOID(transaction.commit());
  return stats;
}

} // namespace complycli::auditlog
