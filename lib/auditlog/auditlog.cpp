#include "auditlog/auditlog.hpp"

#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <set>
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
constexpr int trigger_count = 6;

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

// Parse nlohmann's "... at line L, column C: detail" into column and detail.
std::pair<std::size_t, std::string> parse_error_position(const nlohmann::json::parse_error &e)
{
  const std::string what = e.what();
  std::size_t column = e.byte;
  std::string detail = what;
  if (const auto at = what.find("column "); at != std::string::npos) {
    std::size_t value = 0;
    const char *begin = what.data() + at + 7;
    const auto [end, ec] = std::from_chars(begin, what.data() + what.size(), value);
    if (ec == std::errc()) {
      column = value;
    }
    if (const auto colon = what.find(": ", at); colon != std::string::npos) {
      detail = what.substr(colon + 2);
    }
  } else if (const auto colon = what.find("] "); colon != std::string::npos) {
    detail = what.substr(colon + 2);
  }
  return {column, detail};
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

} // namespace

Result<AuditLog> AuditLog::open(const core::Workspace &workspace)
{
  return open(workspace.audit_db_path(), workspace.log_key_path());
}

Result<AuditLog> AuditLog::open(const fs::path &db_path, const fs::path &key_path)
{
  // SQLite would create the file with the umask's mode; create it first so that it (and the -wal and
  // -shm files, which SQLite gives the database's mode) is private.
  const int fd = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::io, "cannot open {}: {}", db_path.string(), std::strerror(errno));
  }
  ::close(fd);
  auto db = TRY(Database::open(db_path));
  // Wait for other writers in short, jittered sleeps (SQLite's default handler sleeps up to 100 ms at a
  // time, which wastes most of the lock's free time when many processes append at once).
  sqlite3_busy_handler(db.get(), busy_wait, nullptr);
  // Each complycli process is short-lived: leave the WAL in place and its checkpointing to the
  // automatic checkpoint, instead of checkpointing and deleting it on every close (three more fsyncs).
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  int persist = 1;
  sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);

  auto read_app_id = [&]() -> Result<int64_t> {
    auto stmt = db.prepare("PRAGMA application_id");
    if (!stmt) {
      return std::unexpected(not_ours(db_path, sqlite3_errmsg(db.get())));
    }
    auto row = stmt->step();
    if (!row) {
      return std::unexpected(not_ours(db_path, sqlite3_errmsg(db.get())));
    }
    return *row ? stmt->int64(0) : 0;
  };
  int64_t app_id = TRY(read_app_id());
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
  TRY_VOID(db.exec("PRAGMA synchronous=FULL"));
  return AuditLog(std::move(db), key_path);
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

Result<void> AuditLog::store_checkpoint(int64_t size, const Hash &head)
{
  const auto *key = TRY(this->key());
  CheckpointBody body{key->public_key().name, size, head, util::now_rfc3339()};
  const auto note = sign_checkpoint(*key, body);
  auto insert = TRY(m_db.prepare("INSERT INTO checkpoints(size, time, note) VALUES (?1, ?2, ?3)"));
  insert.bind(1, size);
  insert.bind(2, std::string_view(body.time));
  insert.bind(3, std::string_view(note));
  TRY(insert.step());
  return {};
}

// What one scan over a range of entries found.
struct ScanResult {
  std::optional<Problem> problem;
  int64_t first_seq = 0; // the first entry of a range whose previous hash was not known in advance
  Hash first_prev{};     // and that entry's stored previous hash
  int64_t last_seq = 0;  // the last entry that verified
  Hash last_hash{};
};

// An entry validated and ready to hash: the parse work an import does on its reader thread.
struct PreparedEntry {
  std::string time, actor, action, target, outcome, details;
};

namespace {

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

const char *import_hint = "nothing was imported; fix the line and run the import again";

// Reads one import line with nlohmann's SAX interface, without building a JSON tree for the top
// level: the string fields go straight into a NewEntry, and only `details` becomes a json value.
class RecordReader {
public:
  using json = nlohmann::json;

  explicit RecordReader(NewEntry &entry) : m_entry(entry) {}

  bool null() { return scalar(json(nullptr)); }
  bool boolean(bool value) { return scalar(json(value)); }
  bool number_integer(json::number_integer_t value) { return scalar(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return scalar(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t &) { return scalar(json(value)); }
  bool binary(json::binary_t &) { return refuse("binary values are not JSON"); }
  bool string(json::string_t &value)
  {
    if (!m_stack.empty()) {
      add(json(std::move(value)));
      return true;
    }
    if (!m_started) {
      return refuse("expected a JSON object, found string");
    }
    if (auto *field = string_field()) {
      *field = std::move(value);
      m_has_target = m_has_target || m_key == "target";
      return true;
    }
    return top_level_value("string");
  }
  bool start_object(std::size_t) { return start(json::object()); }
  bool start_array(std::size_t) { return start(json::array()); }
  bool key(json::string_t &key)
  {
    if (m_stack.empty()) {
      m_key = std::move(key);
    } else {
      m_nested_key = std::move(key);
    }
    return true;
  }
  bool end_object() { return end(); }
  bool end_array() { return end(); }
  bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e)
  {
    const auto *parse = dynamic_cast<const json::parse_error *>(&e);
    if (parse != nullptr) {
      m_syntax = parse_error_position(*parse);
    } else {
      m_syntax = {1, e.what()};
    }
    return false;
  }

  // A syntax error (column, message), or a record that is valid JSON but not a valid entry (message).
  const std::optional<std::pair<std::size_t, std::string>> &syntax_error() const { return m_syntax; }
  const std::string &error() const { return m_error; }
  bool has_target() const { return m_has_target; }

private:
  bool refuse(std::string message)
  {
    m_error = std::move(message);
    return false;
  }

  std::string *string_field()
  {
    return m_key == "actor"     ? &m_entry.actor
           : m_key == "action"  ? &m_entry.action
           : m_key == "target"  ? &m_entry.target
           : m_key == "outcome" ? &m_entry.outcome
           : m_key == "time"    ? &m_entry.time
                                : nullptr;
  }
  bool ignored() const { return m_key == "seq" || m_key == "hash" || m_key == "prev_hash"; }

  // A top-level value that is not a string for a string field, or a non-object for details.
  bool top_level_value(const char *type)
  {
    if (ignored()) {
      return true;
    }
    if (m_key == "details") {
      return refuse("details must be a JSON object");
    }
    if (string_field() != nullptr) {
      return refuse(fmt::format("{} must be a string, not {}", m_key, type));
    }
    return refuse(
        fmt::format("unknown field \"{}\" (known: actor, action, target, outcome, details, time)", m_key));
  }

  bool scalar(json &&value)
  {
    if (!m_stack.empty()) {
      add(std::move(value));
      return true;
    }
    if (!m_started) {
      return refuse(fmt::format("expected a JSON object, found {}", value.type_name()));
    }
    return top_level_value(value.type_name());
  }

  json *add(json &&value)
  {
    json &container = *m_stack.back();
    if (container.is_object()) {
      json &slot = container[m_nested_key];
      slot = std::move(value);
      return &slot;
    }
    container.push_back(std::move(value));
    return &container.back();
  }

  bool start(json &&container)
  {
    if (!m_stack.empty()) {
      m_stack.push_back(add(std::move(container)));
      return true;
    }
    if (!m_started) {
      if (!container.is_object()) {
        return refuse("expected a JSON object, found array");
      }
      m_started = true;
      return true;
    }
    if (m_key == "details" && container.is_object()) {
      m_entry.details = std::move(container);
      m_stack.push_back(&m_entry.details);
      return true;
    }
    if (ignored()) {
      m_ignored = std::move(container);
      m_stack.push_back(&m_ignored);
      return true;
    }
    return top_level_value(container.type_name());
  }

  bool end()
  {
    if (!m_stack.empty()) {
      m_stack.pop_back();
    }
    return true;
  }

  NewEntry &m_entry;
  bool m_started = false;
  bool m_has_target = false;
  std::string m_key, m_nested_key, m_error;
  std::vector<json *> m_stack;
  json m_ignored;
  std::optional<std::pair<std::size_t, std::string>> m_syntax;
};

// Parse one JSON Lines record into a prepared entry; errors name source:line:column.
Result<PreparedEntry> parse_record(const std::string &line, const std::string &source, int64_t line_number,
                                   const std::string &default_actor, const std::string &now)
{
  auto bad = [&](std::string_view what) {
    return fail_with_hint(Errc::parse, import_hint, "{}:{}:1: {}", source, line_number, what);
  };
  NewEntry entry;
  entry.actor = default_actor;
  RecordReader reader(entry);
  if (!nlohmann::json::sax_parse(line, &reader)) {
    if (const auto &syntax = reader.syntax_error()) {
      return fail_with_hint(Errc::parse, import_hint, "{}:{}:{}: {}", source, line_number, syntax->first,
                            syntax->second);
    }
    return bad(reader.error());
  }
  if (entry.action.empty()) {
    return bad("action is missing");
  }
  if (!reader.has_target()) {
    return bad("target is missing");
  }
  auto prepared = prepare_entry(std::move(entry), now);
  if (!prepared) {
    return bad(prepared.error().message);
  }
  return prepared;
}

// A bounded queue of parsed batches between the reader thread and the writer (the caller's thread).
struct Batch {
  std::vector<PreparedEntry> entries;
  std::optional<Error> error;
  bool last = false;
};

class BatchQueue {
public:
  // Returns false when the consumer has given up.
  bool push(Batch batch)
  {
    std::unique_lock lock(m_mutex);
    m_not_full.wait(lock, [&] { return m_queue.size() < 4 || m_cancelled; });
    if (m_cancelled) {
      return false;
    }
    m_queue.push_back(std::move(batch));
    m_not_empty.notify_one();
    return true;
  }
  Batch pop()
  {
    std::unique_lock lock(m_mutex);
    m_not_empty.wait(lock, [&] { return !m_queue.empty(); });
    Batch batch = std::move(m_queue.front());
    m_queue.pop_front();
    m_not_full.notify_one();
    return batch;
  }
  void cancel()
  {
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    m_not_full.notify_all();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_not_full, m_not_empty;
  std::deque<Batch> m_queue;
  bool m_cancelled = false;
};

} // namespace

Result<Entry> AuditLog::insert_entry(PreparedEntry &&prepared, Statement &last, Statement &insert,
                                     std::optional<std::pair<int64_t, Hash>> &head)
{
  if (!head) {
    head.emplace(0, Hash{});
    if (TRY(last.step())) {
      head->first = last.int64(0);
      copy_hash(head->second, last.blob(1));
    }
    last.reset();
  }
  Entry out;
  out.seq = head->first + 1;
  out.time = std::move(prepared.time);
  out.actor = std::move(prepared.actor);
  out.action = std::move(prepared.action);
  out.target = std::move(prepared.target);
  out.outcome = std::move(prepared.outcome);
  out.details = std::move(prepared.details);
  out.prev_hash = head->second;
  out.hash = m_hasher->hash(
      EntryFields{out.seq, out.time, out.actor, out.action, out.target, out.outcome, out.details},
      out.prev_hash);
  insert.bind(1, out.seq);
  insert.bind(2, std::string_view(out.time));
  insert.bind(3, std::string_view(out.actor));
  insert.bind(4, std::string_view(out.action));
  insert.bind(5, std::string_view(out.target));
  insert.bind(6, std::string_view(out.outcome));
  insert.bind(7, std::string_view(out.details));
  insert.bind_blob(8, out.prev_hash);
  insert.bind_blob(9, out.hash);
  TRY(insert.step());
  insert.reset();
  *head = {out.seq, out.hash};
  if (out.seq % checkpoint_interval == 0) {
    TRY_VOID(store_checkpoint(out.seq, out.hash));
  }
  return out;
}

Result<Entry> AuditLog::append(const NewEntry &entry)
{
  auto prepared = TRY(prepare_entry(NewEntry(entry), util::now_rfc3339()));
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  auto last = TRY(m_db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"));
  auto insert = TRY(m_db.prepare(
      fmt::format("INSERT INTO entries({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", entry_columns)));
  std::optional<std::pair<int64_t, Hash>> head;
  auto out = TRY(insert_entry(std::move(prepared), last, insert, head));
  TRY_VOID(transaction.commit());
  return out;
}

Result<int64_t> AuditLog::import(std::istream &input, const std::string &source_name,
                                 const std::string &default_actor)
{
  // Entries without a time get the import's time (one transaction, one moment).
  const std::string now = util::now_rfc3339();
  // Move what the WAL holds into the database first (a passive checkpoint: it waits for nobody), so
  // that if the import fails on a full disk, its rollback can give all of the WAL's space back
  // without writing anything (see roll_back in sqlite.cpp).
  sqlite3_wal_checkpoint_v2(m_db.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  TRY_VOID(m_db.exec("PRAGMA cache_size=-131072"));
  auto last = TRY(m_db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"));
  auto insert = TRY(m_db.prepare(
      fmt::format("INSERT INTO entries({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", entry_columns)));

  // A reader thread parses and validates lines while this thread hashes and inserts.
  BatchQueue queue;
  std::thread reader([&] {
    std::string line;
    int64_t line_number = 0;
    Batch batch;
    batch.entries.reserve(4096);
    while (std::getline(input, line)) {
      ++line_number;
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (line.find_first_not_of(" \t") == std::string::npos) {
        continue;
      }
      auto prepared = parse_record(line, source_name, line_number, default_actor, now);
      if (!prepared) {
        batch.error = std::move(prepared.error());
        batch.last = true;
        queue.push(std::move(batch));
        return;
      }
      batch.entries.push_back(std::move(*prepared));
      if (batch.entries.size() == 4096) {
        if (!queue.push(std::move(batch))) {
          return;
        }
        batch = Batch{};
        batch.entries.reserve(4096);
      }
    }
    if (input.bad()) {
      batch.error = Error{Errc::io, fmt::format("cannot read {}", source_name), {}};
    }
    batch.last = true;
    queue.push(std::move(batch));
  });

  std::optional<std::pair<int64_t, Hash>> head;
  int64_t count = 0;
  std::optional<Error> failure;
  while (!failure) {
    Batch batch = queue.pop();
    for (auto &prepared : batch.entries) {
      if (auto inserted = insert_entry(std::move(prepared), last, insert, head); !inserted) {
        failure = std::move(inserted.error());
        break;
      }
      ++count;
    }
    if (!failure && batch.error) {
      failure = std::move(batch.error);
    }
    if (batch.last) {
      break;
    }
  }
  queue.cancel();
  reader.join();
  if (failure) {
    return std::unexpected(std::move(*failure));
  }
  TRY_VOID(transaction.commit());
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
  auto transaction = TRY(Transaction::begin_immediate(m_db));
  auto last = TRY(m_db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"));
  int64_t size = 0;
  Hash head{};
  if (TRY(last.step())) {
    size = last.int64(0);
    copy_hash(head, last.blob(1));
  }
  TRY_VOID(store_checkpoint(size, head));
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
  TRY_VOID(m_db.exec("PRAGMA mmap_size=1073741824"));
  {
    auto triggers = TRY(m_db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
                                     "('entries_no_update', 'entries_no_delete', 'checkpoints_no_update', "
                                     "'checkpoints_no_delete', 'meta_no_update', 'meta_no_delete')"));
    TRY(triggers.step());
    report.triggers_present = triggers.int64(0) == trigger_count;
  }

  // Stored checkpoints and anchors, ordered by the size they cover.
  struct Expectation {
    int64_t size = 0;
    Hash head{};
    std::string what; // "checkpoint #3" or "anchor FILE"
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
                         std::span<const uint8_t, 32>(prev_hash.data(), 32));
      if (stored.size() != 32 || std::memcmp(stored.data(), last.data(), 32) != 0) {
        result.problem =
            Problem{seq, "hash mismatch",
                    fmt::format("entry {}: hash mismatch: the entry was changed after it was written", seq)};
        break;
      }
      last_seq = seq;
      if (seq == next_expected || seq % checkpoint_interval == 0) {
        if (auto p = check_expectations_at(seq, last)) {
          result.problem = std::move(p);
          break;
        }
        next_expected = first_expected_from(seq + 1);
      }
    }
    result.last_seq = last_seq;
    result.last_hash = last;
    return result;
  };

  ScanResult scanned;
  if (max_seq < options.parallel_threshold || max_seq < 2) {
    scanned = TRY(scan(m_db, *m_hasher, 1, max_seq, Hash{}));
  } else {
    // Two halves at once, each with its own connection: every entry's hash depends only on its own
    // row, so only the link between the halves waits for both.
    const int64_t mid = max_seq / 2;
    auto second_db = TRY(Database::open(m_db.path()));
    sqlite3_busy_handler(second_db.get(), busy_wait, nullptr);
    auto second_transaction = TRY(Transaction::begin_read(second_db));
    TRY_VOID(second_db.exec("PRAGMA mmap_size=1073741824"));
    Result<ScanResult> second = ScanResult{};
    std::thread worker([&] {
      EntryHasher hasher;
      second = scan(second_db, hasher, mid + 1, max_seq, std::nullopt);
    });
    auto first = scan(m_db, *m_hasher, 1, mid, Hash{});
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
  TRY_VOID(transaction.commit());
  return report;
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
