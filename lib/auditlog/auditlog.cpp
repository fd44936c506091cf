#include "auditlog/auditlog.hpp"

#include "auditlog/import.hpp"
#include "auditlog/tree_store.hpp"
#include "store/postgres_log.hpp"
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
#include <future>
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

// An import hashes and stores entries in groups of up to this many.
constexpr std::size_t import_group = 256;

void copy_hash(Hash &out, std::span<const uint8_t> bytes)
{
  out.fill(0);
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
}

Entry entry_of(const store::EntryRow &row)
{
  Entry entry;
  entry.seq = row.seq;
  entry.time = row.time;
  entry.actor = row.actor;
  entry.action = row.action;
  entry.target = row.target;
  entry.outcome = row.outcome;
  entry.details = row.details;
  copy_hash(entry.prev_hash, row.prev_hash);
  copy_hash(entry.hash, row.hash);
  return entry;
}

store::EntryRow row_of(const EntryFields &fields, const Hash &prev_hash, const Hash &hash)
{
  return store::EntryRow{fields.seq,    fields.time,    fields.actor, fields.action, fields.target,
                         fields.outcome, fields.details, prev_hash,    hash};
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

} // namespace

namespace {

// The workspace's settings when they name a PostgreSQL store.
Result<std::optional<core::Settings>> shared_store_settings(const core::Workspace &workspace)
{
  std::error_code ec;
  if (!fs::exists(workspace.settings_path(), ec)) {
    return std::optional<core::Settings>();
  }
  auto settings = TRY(core::load_settings(workspace));
  if (!settings.store) {
    return std::optional<core::Settings>();
  }
  return std::optional<core::Settings>(std::move(settings));
}

} // namespace

Result<AuditLog> AuditLog::open(const core::Workspace &workspace, util::Access access)
{
  if (const auto shared = TRY(shared_store_settings(workspace))) {
    return open_postgres(*shared->store, workspace.log_key_path(), shared->store_log_key, access);
  }
  return open(workspace.audit_db_path(), workspace.log_key_path(), access);
}

Result<void> AuditLog::check_writable(const core::Workspace &workspace)
{
  if (TRY(shared_store_settings(workspace))) {
    return {}; // the server decides, when the append runs
  }
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
  if (m_store->read_only()) {
    return fail(Errc::internal, "cannot {}: the audit log {} was opened read-only", what, m_store->name());
  }
  return {};
}

Result<AuditLog> AuditLog::open(const fs::path &db_path, const fs::path &key_path, util::Access access)
{
  const auto new_log = [&]() -> Result<store::MetaRows> {
    const auto key = TRY(load_or_create_key(key_path));
    return new_log_meta(key);
  };
  auto sqlite = TRY(store::SqliteLogStore::open(db_path, access, schema_version, new_log));
  auto *raw = sqlite.get();
  AuditLog log(std::move(sqlite), key_path);
  log.m_sqlite = raw;
  if (access == util::Access::read_write) {
    if (auto done_ = raw->migrate_to_v2([&] {
      TreeStore tree(*raw);
      return tree.fill();
    }); !done_) {
      return std::unexpected(done_.error());
    }
  }
  return log;
}

Result<AuditLog> AuditLog::open_postgres(const std::string &url, const fs::path &key_path,
                                        const std::string &trusted_vkey, util::Access access, bool *created)
{
  const auto new_log = [&]() -> Result<store::MetaRows> {
    const auto key = TRY(load_or_create_key(key_path));
    return new_log_meta(key);
  };
  auto pg = TRY(store::PostgresLogStore::open(url, access, schema_version, new_log, created));
  AuditLog log(std::move(pg), key_path);
  log.m_checkpoints_required = false;
  log.m_trusted_vkey = trusted_vkey;
  return log;
}

AuditLog AuditLog::over(std::unique_ptr<store::LogStore> store, const fs::path &key_path)
{
  auto *sqlite = dynamic_cast<store::SqliteLogStore *>(store.get());
  AuditLog log(std::move(store), key_path);
  log.m_sqlite = sqlite;
  log.m_checkpoints_required = sqlite != nullptr;
  return log;
}

bool AuditLog::can_sign() const
{
  std::error_code ec;
  return m_sqlite != nullptr || fs::exists(m_key_path, ec);
}

store::MetaRows AuditLog::new_log_meta(const LogKey &key)
{
  return {{"application", "complycli audit log"},
          {"schema_version", std::to_string(schema_version)},
          {"origin", key.public_key().name},
          {"public_key", key.public_key().vkey()},
          {"created", util::now_rfc3339()}};
}

Result<std::string> AuditLog::meta(const char *key) { return m_store->meta(key); }

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
  if (!can_sign()) { // a member of a shared store: the key it recorded, else the one the store records
    std::string vkey = m_trusted_vkey;
    if (vkey.empty()) {
      vkey = TRY(meta("public_key"));
    }
    return parse_vkey(vkey);
  }
  const auto *key = TRY(this->key());
  return key->public_key();
}

Result<StoredCheckpoint> AuditLog::store_checkpoint(int64_t size, const Hash &head, const Hash &root)
{
  const auto *key = TRY(this->key());
  CheckpointBody body{key->public_key().name, size, head, util::now_rfc3339(), root};
  auto note = sign_checkpoint(*key, body);
  const auto id = TRY(m_store->insert_checkpoint(size, body.time, note));
  return StoredCheckpoint{id, size, std::move(body.time), std::move(note)};
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
  Entry out;
  if (auto done_ = m_store->write([&]() -> Result<void> {
    const auto head = TRY(m_store->head());
    out.seq = head.first + 1;
    out.time = std::move(prepared.time);
    out.actor = std::move(prepared.actor);
    out.action = std::move(prepared.action);
    out.target = std::move(prepared.target);
    out.outcome = std::move(prepared.outcome);
    out.details = std::move(prepared.details);
    out.prev_hash = head.second;
    const EntryFields fields{out.seq, out.time, out.actor, out.action, out.target, out.outcome, out.details};
    out.hash = EntryHasher().hash(fields, out.prev_hash);
    const auto row = row_of(fields, out.prev_hash, out.hash);
    TRY_VOID(m_store->insert_entries({&row, 1}));
    if (out.seq % tile_width == 0 || out.seq % checkpoint_interval == 0) {
      TreeStore tree(*m_store);
      TRY_VOID(tree.grow_to(out.seq));
      if (out.seq % checkpoint_interval == 0 && can_sign()) {
        const auto root = TRY(tree_root_of(tree, out.seq));
        TRY(store_checkpoint(out.seq, out.hash, root));
      }
    }
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return out;
}

Result<int64_t> AuditLog::import(std::istream &input, const std::string &source_name,
                                 const std::string &default_actor)
{
  TRY_VOID(check_read_write("import"));
  // Entries without a time get the import's time (one transaction, one moment).
  const std::string now = util::now_rfc3339();
  // SQLite: move what the WAL holds into the database first (a passive checkpoint: it waits for
  // nobody), so that if the import fails on a full disk, its rollback can give all of the WAL's space
  // back without writing anything (see roll_back in store/sqlite_db.cpp).
  if (m_sqlite != nullptr) {
    m_sqlite->checkpoint_wal_passive();
  }
  // The WAL this transaction writes sits in the page cache until the commit syncs it: have the kernel
  // write it back meanwhile, so that the commit's sync has little left to wait for.
  const fs::path db_file = m_sqlite != nullptr ? m_sqlite->database().path() : fs::path();
  Writeback wal_writeback(m_sqlite != nullptr ? fs::path(db_file.string() + "-wal") : fs::path());
  Writeback db_writeback(db_file);
  std::mutex flusher_mutex;
  std::condition_variable flusher_wake;
  bool committed = false;
  std::optional<std::thread> flusher;
  int64_t count = 0;
  auto written = m_store->write([&]() -> Result<void> {
  auto [head_seq, head_hash] = TRY(m_store->head());
  int64_t seq = head_seq;
  Hash prev_hash = head_hash;
  std::array<Hash, import_group + 1> chain{}; // a group's previous hash and its entries' hashes
  std::array<store::EntryRow, import_group> group{};
  EntryHasher hasher;
  TreeStore tree_store(*m_store);
  auto tree = TRY(TreeBuilder::resume(tree_store.source(), seq));

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

  // The store pulls groups of up to import_group hashed rows (SQLite inserts 32 rows per INSERT,
  // PostgreSQL streams them all in one COPY while the next group is hashed). The Merkle nodes and
  // checkpoints they complete are stored after the last entry.
  std::vector<store::TreeNode> nodes;
  const TreeBuilder::NodeSink keep_node = [&](int height, int64_t index, const Hash &hash) -> Result<void> {
    nodes.push_back(store::TreeNode{height, index, hash});
    return {};
  };
  struct PendingCheckpoint {
    int64_t size;
    Hash head, root;
  };
  std::vector<PendingCheckpoint> pending;
  const bool sign = can_sign();
  std::unique_ptr<ImportBatch> batch;
  std::size_t at = 0; // the next record of `batch`
  int64_t index = 0;
  bool last = false;
  auto next_group = [&]() -> Result<std::span<const store::EntryRow>> {
    while (true) {
      if (!batch) {
        if (last) {
          return std::span<const store::EntryRow>();
        }
        batch = pipe.receive(index);
        at = 0;
      }
      const auto &records = batch->records;
      if (at < records.size()) {
        const std::size_t rows = std::min(records.size() - at, import_group);
        chain[0] = prev_hash;
        for (std::size_t r = 0; r < rows; ++r) {
          const auto fields = batch->fields(records[at + r], seq + 1);
          Hash leaf{};
          chain[r + 1] = hasher.hash(fields, chain[r], &leaf);
          group[r] = row_of(fields, chain[r], chain[r + 1]);
          TRY_VOID(tree.add(leaf, keep_node));
          ++seq;
          if (seq % checkpoint_interval == 0 && sign) {
            pending.push_back(PendingCheckpoint{seq, chain[r + 1], tree.root()});
          }
        }
        prev_hash = chain[rows];
        count += static_cast<int64_t>(rows);
        at += rows;
        return std::span<const store::EntryRow>(group.data(), rows);
      }
      auto error = std::move(batch->error);
      last = batch->last;
      pipe.give_back(std::move(batch));
      if (error) {
        return std::unexpected(std::move(*error));
      }
      if (index % 4 == 3) {
        wal_writeback.start();
      }
      ++index;
    }
  };
  std::optional<Error> failure;
  if (auto streamed = m_store->insert_stream(next_group); !streamed) {
    failure = std::move(streamed.error());
  } else if (auto stored = m_store->insert_tree_nodes(nodes); !stored) {
    failure = std::move(stored.error());
  } else {
    for (const auto &checkpoint : pending) {
      if (auto signed_ = store_checkpoint(checkpoint.size, checkpoint.head, checkpoint.root); !signed_) {
        failure = std::move(signed_.error());
        break;
      }
    }
  }
  if (batch) {
    pipe.give_back(std::move(batch));
  }
  pipe.cancel();
  for (auto &thread : threads) {
    thread.join();
  }
  if (failure) {
    return std::unexpected(std::move(*failure));
  }
  // SQLite: the commit writes the rest of the WAL and syncs it, then SQLite's automatic checkpoint
  // copies the WAL into audit.db and syncs that: write audit.db back while it is being copied.
  if (m_sqlite != nullptr) {
    wal_writeback.start();
    flusher.emplace([&] {
      std::unique_lock lock(flusher_mutex);
      while (!flusher_wake.wait_for(lock, std::chrono::milliseconds(10), [&] { return committed; })) {
        lock.unlock();
        db_writeback.start();
        lock.lock();
      }
    });
  }
  return {};
  });
  if (flusher) {
    {
      std::lock_guard lock(flusher_mutex);
      committed = true;
    }
    flusher_wake.notify_one();
    flusher->join();
  }
  TRY_VOID(written);
  if (m_sqlite != nullptr) {
    m_sqlite->truncate_large_wal();
  }
  return count;
}

Result<void> AuditLog::for_each(const Filter &filter, const std::function<Result<void>(const Entry &)> &visit)
{
  const store::EntryFilter where{filter.since, filter.until, filter.actor, filter.action, filter.target, filter.limit};
  return m_store->select(where, [&](const store::EntryRow &row) { return visit(entry_of(row)); });
}

Result<std::optional<Entry>> AuditLog::get(int64_t seq)
{
  std::optional<Entry> out;
  if (auto done_ = m_store->entries(seq, seq, [&](const store::EntryRow &row) -> Result<void> {
    out = entry_of(row);
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return out;
}

Result<StoredCheckpoint> AuditLog::checkpoint()
{
  TRY_VOID(check_read_write("store a checkpoint"));
  StoredCheckpoint out;
  if (auto done_ = m_store->write([&]() -> Result<void> {
    const auto [size, head] = TRY(m_store->head());
    TreeStore tree(*m_store);
    const auto root = TRY(tree_root_of(tree, size));
    out = TRY(store_checkpoint(size, head, root));
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return out;
}

Result<int64_t> AuditLog::sign_missing_checkpoints()
{
  TRY_VOID(check_read_write("store a checkpoint"));
  int64_t count = 0;
  if (auto done_ = m_store->write([&]() -> Result<void> {
    std::set<int64_t> have;
    for (const auto &row : TRY(m_store->checkpoints())) {
      have.insert(row.size);
    }
    const int64_t last = TRY(m_store->max_seq());
    TreeStore tree(*m_store);
    for (int64_t size = checkpoint_interval; size <= last; size += checkpoint_interval) {
      if (have.contains(size)) {
        continue;
      }
      const auto head = TRY(get(size));
      if (!head) {
        return fail(Errc::chain_broken, "entry {} is missing", size);
      }
      const auto root = TRY(tree_root_of(tree, size));
      TRY(store_checkpoint(size, head->hash, root));
      ++count;
    }
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return count;
}

Result<std::vector<StoredCheckpoint>> AuditLog::checkpoints()
{
  std::vector<StoredCheckpoint> out;
  for (auto &row : TRY(m_store->checkpoints())) {
    out.push_back({row.id, row.size, std::move(row.time), std::move(row.note)});
  }
  return out;
}

Result<VerifyReport> AuditLog::verify(const VerifyOptions &options)
{
  VerifyReport report;
  PublicKey trusted;
  const auto recorded = TRY(meta("public_key"));
  std::error_code ec;
  if (options.pubkey) {
    trusted = *options.pubkey;
  } else if (!m_trusted_vkey.empty() && !fs::exists(m_key_path, ec)) {
    // A member of a shared store: the key it recorded when it joined.
    trusted = TRY(parse_vkey(m_trusted_vkey));
    if (recorded != trusted.vkey()) {
      return fail_with_hint(Errc::chain_broken, "ask the holder of the log key to run `complycli audit verify`",
                            "the audit log store now records the log key {}, not {} as when this workspace joined",
                            recorded, m_trusted_vkey);
    }
  } else {
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

  // A log long enough to be read in two halves (verify_snapshot) gets its second connection now, on
  // another thread, while this one reads the checkpoints and checks their signatures: a server's
  // connection set-up and authentication take as long as reading tens of thousands of entries.
  std::optional<std::future<Result<std::unique_ptr<store::LogStore>>>> opening;
  if (TRY(m_store->max_seq()) >= options.parallel_threshold) {
    opening = std::async(std::launch::async, [this] { return m_store->open_again(); });
  }
  const auto open_second = [&] { return opening ? opening->get() : m_store->open_again(); };

  // One snapshot of the whole log.
  Result<VerifyReport> result = report;
  if (auto done_ = m_store->read([&]() -> Result<void> {
    result = verify_snapshot(options, trusted, report, open_second);
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return result;
}

Result<VerifyReport> AuditLog::verify_snapshot(const VerifyOptions &options, const PublicKey &trusted,
                                               VerifyReport &report, const OpenStore &open_second)
{
  auto problem = [&](int64_t seq, std::string kind, std::string message) -> Result<VerifyReport> {
    report.problem = Problem{seq, std::move(kind), std::move(message)};
    return report;
  };
  m_store->prepare_scan();
  // A version 1 log opened read-only: no stored tree yet.
  const std::string version = TRY(meta("schema_version"));
  const bool version_1 = version == "1";
  report.triggers_present = TRY(m_store->triggers_present());

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
  auto add_opened = [&](std::string what, Result<CheckpointBody> body, bool anchor, int64_t stored_size) {
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
  auto add_expectation = [&](std::string what, std::string_view note, bool anchor, int64_t stored_size) {
    add_opened(std::move(what), open_checkpoint(note, trusted), anchor, stored_size);
  };
  // One automatic checkpoint per checkpoint_interval entries: a signature check each (~50 us), so the
  // second half of them is opened on a second thread.
  const auto stored_checkpoints = TRY(checkpoints());
  std::vector<std::optional<Result<CheckpointBody>>> checkpoint_bodies(stored_checkpoints.size());
  {
    const std::size_t half = stored_checkpoints.size() / 2;
    auto open_range = [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        checkpoint_bodies[i] = open_checkpoint(stored_checkpoints[i].note, trusted);
      }
    };
    std::optional<std::jthread> helper;
    if (half >= 16) {
      helper.emplace(open_range, half, stored_checkpoints.size());
    }
    open_range(0, helper ? half : stored_checkpoints.size());
  }
  std::set<int64_t> checkpointed_sizes;
  for (std::size_t i = 0; i < stored_checkpoints.size(); ++i) {
    const auto &stored = stored_checkpoints[i];
    add_opened(fmt::format("checkpoint #{}", stored.id), std::move(*checkpoint_bodies[i]), false, stored.size);
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
    if (m_checkpoints_required && seq > 0 && seq % checkpoint_interval == 0 && !checkpointed_sizes.contains(seq)) {
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
  const int64_t max_seq = TRY(m_store->max_seq());
  auto first_expected_from = [&](int64_t lo) {
    const auto next = expectations.lower_bound(lo);
    return next == expectations.end() ? int64_t{-1} : next->first;
  };
  // Scan entries lo..hi (inclusive). The expected previous hash of entry lo is `prev` when known; the
  // second half of a parallel scan learns it from the first half afterwards.
  auto scan = [&](store::LogStore &db, EntryHasher &hasher, int64_t lo, int64_t hi,
                  std::optional<Hash> prev) -> Result<ScanResult> {
    ScanResult result;
    result.last_seq = lo - 1;
    Hash last = prev.value_or(Hash{});
    bool link_known = prev.has_value();
    std::vector<Hash> tile_leaves;
    tile_leaves.reserve(static_cast<std::size_t>(tile_width));
    Hash leaf{};
    int64_t last_seq = lo - 1;
    int64_t next_expected = first_expected_from(lo);
    // After the first problem the rest of the rows are read and ignored.
    if (auto done_ = db.entries(lo, hi, [&](const store::EntryRow &rows) -> Result<void> {
      if (result.problem) {
        return {};
      }
      const int64_t seq = rows.seq;
      if (seq == last_seq) {
        result.problem = Problem{
            seq, "duplicate", fmt::format("entry {}: duplicate: two entries have this sequence number", seq)};
        return {};
      }
      if (seq != last_seq + 1) {
        result.problem = Problem{
            last_seq + 1, "gap",
            fmt::format("entry {}: gap: missing, entry {} follows entry {}", last_seq + 1, seq, last_seq)};
        return {};
      }
      const auto prev_hash = rows.prev_hash;
      const auto stored = rows.hash;
      if (prev_hash.size() != 32) {
        result.problem = Problem{
            seq, "broken link", fmt::format("entry {}: broken link: its previous hash is not 32 bytes", seq)};
        return {};
      }
      if (!link_known) {
        result.first_seq = seq;
        copy_hash(result.first_prev, prev_hash);
        link_known = true;
      } else if (std::memcmp(prev_hash.data(), last.data(), 32) != 0) {
        result.problem = Problem{
            seq, "broken link",
            fmt::format("entry {}: broken link: its previous hash is not entry {}'s hash", seq, seq - 1)};
        return {};
      }
      last = hasher.hash(EntryFields{seq, rows.time, rows.actor, rows.action, rows.target, rows.outcome,
                                     rows.details},
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
        return {};
      }
      last_seq = seq;
      if (seq == next_expected || seq % checkpoint_interval == 0) {
        if (seq == next_expected && !tile_leaves.empty()) {
          result.partials[seq] = root_of(tile_leaves);
        }
        if (auto p = check_expectations_at(seq, last)) {
          result.problem = std::move(p);
          return {};
        }
        next_expected = first_expected_from(seq + 1);
      }
      return {};
    }); !done_) {
      return std::unexpected(done_.error());
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
    scanned = TRY(scan(*m_store, hasher, 1, max_seq, Hash{}));
  } else {
    // Two halves at once, each with its own connection: every entry's hash depends only on its own
    // row, so only the link between the halves waits for both.
    // The halves meet at a tile boundary: each computes the roots of its own tiles.
    const int64_t mid = max_seq / 2 / tile_width * tile_width;
    std::unique_ptr<store::LogStore> second_db;
    Result<ScanResult> second = ScanResult{};
    std::thread worker([&] {
      auto opened = open_second();
      if (!opened) {
        second = std::unexpected(opened.error());
        return;
      }
      second_db = std::move(*opened);
      EntryHasher hasher;
      auto read = second_db->read([&]() -> Result<void> {
        second_db->prepare_scan();
        second = scan(*second_db, hasher, mid + 1, max_seq, std::nullopt);
        return {};
      });
      if (!read) {
        second = std::unexpected(read.error());
      }
    });
    EntryHasher hasher;
    auto first = scan(*m_store, hasher, 1, mid, Hash{});
    worker.join();
    if (!first) {
      return std::unexpected(first.error());
    }
    if (!second) {
      return std::unexpected(second.error());
    }
    scanned = *first;
    if (!scanned.problem && first->last_seq < mid) { // the first half ended early: entries are missing
      int64_t next = 0;
      if (auto done_ = m_store->entries(first->last_seq + 1, max_seq, [&](const store::EntryRow &row) -> Result<void> {
        next = next == 0 ? row.seq : next;
        return {};
      }); !done_) {
        return std::unexpected(done_.error());
      }
      scanned.problem = Problem{first->last_seq + 1, "gap",
                                fmt::format("entry {}: gap: missing, entry {} follows entry {}",
                                            first->last_seq + 1, next, first->last_seq)};
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
    TreeStore tree(*m_store);
    if (auto done_ = tree.for_each_node([&](const TreeStore::Node &node) -> Result<void> {
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
    }); !done_) {
      return std::unexpected(done_.error());
    }
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
  return report;
}

Result<Hash> AuditLog::tree_root(int64_t size)
{
  Hash root{};
  if (auto done_ = m_store->read([&]() -> Result<void> {
    const auto last = TRY(m_store->max_seq());
    if (size < 0 || size > last) {
      return fail(Errc::usage, "the log has {} entries, not {}", last, size);
    }
    TreeStore tree(*m_store);
    root = TRY(tree_root_of(tree, size));
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return root;
}

Result<std::vector<Hash>> AuditLog::inclusion_proof(int64_t seq, int64_t size)
{
  std::vector<Hash> proof;
  if (auto done_ = m_store->read([&]() -> Result<void> {
    const auto last = TRY(m_store->max_seq());
    if (size > last || seq < 1 || seq > size) {
      return fail(Errc::usage, "entry {} is not in the first {} entries of a log of {}", seq, size, last);
    }
    TreeStore tree(*m_store);
    proof = TRY(auditlog::inclusion_proof(tree.source(), seq - 1, size));
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return proof;
}

Result<std::vector<Hash>> AuditLog::consistency_proof(int64_t old_size, int64_t new_size)
{
  std::vector<Hash> proof;
  if (auto done_ = m_store->read([&]() -> Result<void> {
    const auto last = TRY(m_store->max_seq());
    if (new_size > last || old_size < 0 || old_size > new_size) {
      return fail(Errc::usage, "no consistency proof from size {} to size {} in a log of {} entries", old_size,
                  new_size, last);
    }
    TreeStore tree(*m_store);
    proof = TRY(auditlog::consistency_proof(tree.source(), old_size, new_size));
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return proof;
}

Result<std::optional<StoredCheckpoint>> AuditLog::latest_checkpoint()
{
  std::optional<StoredCheckpoint> latest;
  for (auto &stored : TRY(checkpoints())) { // by size, then id: the last is the newest of the largest
    latest = std::move(stored);
  }
  return latest;
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
      if (m_store->read_only()) {
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
  if (auto done_ = m_store->read([&]() -> Result<void> {
    auto all = TRY(m_store->aggregates());
    stats.entries = all.entries;
    stats.first_time = std::move(all.first_time);
    stats.last_time = std::move(all.last_time);
    stats.actors = all.actors;
    stats.actions = std::move(all.actions);
    stats.checkpoints = all.checkpoints;
    stats.last_checkpoint_size = all.last_checkpoint_size;
    stats.last_checkpoint_time = std::move(all.last_checkpoint_time);
    stats.file_bytes = all.bytes;
    stats.head = TRY(m_store->head()).second;
    stats.origin = TRY(meta("origin"));
    stats.vkey = TRY(meta("public_key"));
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return stats;
}

} // namespace complycli::auditlog
