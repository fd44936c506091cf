#pragma once

// The workspace's audit log: a hash-chained, append-only table with signed checkpoints, in SQLite
// (audit.db) or on a PostgreSQL server (store/). docs/audit-log.md specifies the schema, the entry
// encoding and the checkpoint format; this module computes them and never sees SQL.

#include "auditlog/entry.hpp"
#include "auditlog/merkle.hpp"
#include "auditlog/note.hpp"
#include "auditlog/proof.hpp"
#include "auditlog/sqlite.hpp"
#include "core/error.hpp"
#include "core/workspace.hpp"
#include "store/log_store.hpp"
#include "store/sqlite_log.hpp"
#include "util/sqlite_read_only.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace complycli::auditlog {

// The schema this build reads and writes (the `meta` table's schema_version). Version 2 added the
// `merkle` table; a version 1 log is migrated when it is first opened read-write.
inline constexpr int schema_version = 2;
// SQLite's application_id for a complycli audit database ("CCAL").
inline constexpr int32_t application_id = store::sqlite_application_id;
// A checkpoint is signed and stored automatically whenever an append makes the size a multiple of this.
inline constexpr int64_t checkpoint_interval = 1000;
// How long an append waits for another process's write to finish before giving up.
inline constexpr int busy_timeout_ms = store::sqlite_busy_timeout_ms;

// An entry to append. `time` empty means now.
struct NewEntry {
  std::string actor;
  std::string action;
  std::string target;
  std::string outcome = "ok";
  nlohmann::json details = nlohmann::json::object();
  std::string time;
};

struct StoredCheckpoint {
  int64_t id = 0;
  int64_t size = 0;
  std::string time;
  std::string note;
};

// Which entries `for_each` visits. Times compare as stored text (RFC 3339, microseconds, UTC).
struct Filter {
  std::optional<std::string> since; // time >= since
  std::optional<std::string> until; // time < until
  std::optional<std::string> actor, action, target;
  std::optional<int64_t> limit; // only the last `limit` matching entries (still in order)
};

// An externally kept checkpoint to check the log against.
struct Anchor {
  std::string name; // for messages (a file name)
  std::string note;
};

struct VerifyOptions {
  std::optional<PublicKey> pubkey; // trust this key instead of the workspace's log key file
  std::vector<Anchor> anchors;
  // Logs with at least this many entries are verified by two threads (each reads half the entries).
  int64_t parallel_threshold = 200000;
};

// The first thing wrong with the log.
struct Problem {
  int64_t seq = 0;  // the first bad sequence number
  std::string kind; // hash mismatch, broken link, gap, duplicate, bad checkpoint signature, ...
  std::string message;
};

struct VerifyReport {
  int64_t entries = 0;
  int64_t checkpoints = 0;
  int64_t anchors = 0;
  Hash head{};
  Hash root{}; // the Merkle tree head of all `entries`
  bool triggers_present = true;
  std::string key_vkey;           // the key the checkpoints were checked against
  std::optional<Problem> problem; // empty when the log verifies
};

struct Stats {
  int64_t entries = 0;
  std::string first_time, last_time;
  Hash head{};
  int64_t checkpoints = 0;
  int64_t last_checkpoint_size = 0;
  std::string last_checkpoint_time;
  int64_t actors = 0;
  std::vector<std::pair<std::string, int64_t>> actions; // action, count (most frequent first)
  std::string origin;
  std::string vkey; // as recorded in audit.db
  int64_t file_bytes = 0;
};

class AuditLog {
public:
  // Open the workspace's audit.db, creating it (mode 0600) and the log key (mode 0600) on first use.
  // Errc::io for a file that is not a complycli audit database, a newer schema, or a missing key
  // for an existing log.
  // With util::Access::read_only (commands that only read): open an existing log without writing any
  // file (not even SQLite's -wal and -shm files in a folder that takes no writes, see
  // util::sqlite_read_only_uri); Errc::io when there is no log. append, import and checkpoint then fail.
  static Result<AuditLog> open(const core::Workspace &workspace, util::Access access = util::Access::read_write);
  // The log on the PostgreSQL server at `url` (store/postgres_log.hpp), signed with the key at
  // `key_path` when this machine holds it; `trusted_vkey` is the log's public key as the workspace
  // recorded it. With read-write access a database without a log gets one (and a new key at
  // `key_path`); `created` tells whether that happened.
  static Result<AuditLog> open_postgres(const std::string &url, const std::filesystem::path &key_path,
                                        const std::string &trusted_vkey, util::Access access,
                                        bool *created = nullptr);
  // The same with explicit paths (tests).
  static Result<AuditLog> open(const std::filesystem::path &db_path, const std::filesystem::path &key_path,
                               util::Access access = util::Access::read_write);
  // The log in `store`, which the caller opened (`store migrate` fills a new store inside its own
  // transaction, then verifies it), signed with the key at `key_path`.
  static AuditLog over(std::unique_ptr<store::LogStore> store, const std::filesystem::path &key_path);

  // Errc::io, naming the file and the reason, when an append to the workspace's log cannot succeed because
  // the log (or its folder) is read-only; commands that must not run unrecorded check this first.
  static Result<void> check_writable(const core::Workspace &workspace);

  // Append one entry durably (BEGIN IMMEDIATE, synchronous=FULL); returns it with its hash.
  Result<Entry> append(const NewEntry &entry);

  // Append every JSON Lines record of `input` in one transaction: all or nothing. A line is an object
  // with action and target (required), actor (default `default_actor`), outcome, details, time;
  // seq, hash and prev_hash (as export writes them) are ignored. Bad JSON: Errc::parse naming
  // `source_name`:line:column. Returns the number of entries appended.
  Result<int64_t> import(std::istream &input, const std::string &source_name,
                         const std::string &default_actor);

  // Visit the entries `filter` selects, in sequence order.
  Result<void> for_each(const Filter &filter, const std::function<Result<void>(const Entry &)> &visit);
  // One entry, or nullopt.
  Result<std::optional<Entry>> get(int64_t seq);

  // Sign a checkpoint of the log as it is now, store it and return it.
  Result<StoredCheckpoint> checkpoint();
  // Sign the automatic checkpoints (one every checkpoint_interval entries) that the log lacks: on a
  // shared store, members without the log key append past those sizes without signing. A SQLite log
  // requires them (store migrate --to sqlite). Returns how many it signed.
  Result<int64_t> sign_missing_checkpoints();
  Result<std::vector<StoredCheckpoint>> checkpoints();

  // Recompute every hash and link, check every stored checkpoint and anchor. I/O problems are errors;
  // a log that does not verify is a report with `problem` set.
  Result<VerifyReport> verify(const VerifyOptions &options);

  Result<Stats> stats();

  // The log's public key (from the key file).
  Result<PublicKey> public_key();

  // The Merkle tree (docs/audit-log.md, "Merkle tree"): its head over the first `size` entries, and
  // RFC 6962 inclusion and consistency proofs from the stored subtrees. Errc::usage for sizes or
  // entries the log does not have.
  Result<Hash> tree_root(int64_t size);
  Result<std::vector<Hash>> inclusion_proof(int64_t seq, int64_t size);
  Result<std::vector<Hash>> consistency_proof(int64_t old_size, int64_t new_size);
  // A C2SP tlog proof for entry `seq`: against `checkpoint_note` when given (a signed version 2
  // checkpoint of this log covering the entry), else against the newest stored version 2 checkpoint
  // covering it, signing a new one when there is none (read-write logs only).
  Result<TlogProof> prove(int64_t seq, const std::optional<std::string> &checkpoint_note = std::nullopt);
  // The newest stored checkpoint (largest size, then newest), if any.
  Result<std::optional<StoredCheckpoint>> latest_checkpoint();

  // Where the log is stored.
  store::LogStore &store() { return *m_store; }
  // The SQLite connection of a log in audit.db (tests that tamper with the file); null for other stores.
  store::SqliteLogStore *sqlite() { return m_sqlite; }
  Database &database() { return m_sqlite->database(); }

  // The `meta` rows of a new log signed by `key`.
  static store::MetaRows new_log_meta(const LogKey &key);

private:
  AuditLog(std::unique_ptr<store::LogStore> store, std::filesystem::path key_path)
      : m_store(std::move(store)), m_key_path(std::move(key_path))
  {
  }
  Result<const LogKey *> key();
  // Whether this machine holds the log key (always for SQLite, which creates it with the log).
  bool can_sign() const;
  // Sign and store a checkpoint of the first `size` entries (in a write transaction).
  Result<StoredCheckpoint> store_checkpoint(int64_t size, const Hash &head, const Hash &root);
  // verify, inside one read snapshot.
  using OpenStore = std::function<Result<std::unique_ptr<store::LogStore>>()>;
  Result<VerifyReport> verify_snapshot(const VerifyOptions &options, const PublicKey &trusted, VerifyReport &report,
                                       const OpenStore &open_second);
  Result<std::string> meta(const char *key);
  // Errc::internal for a write to a log opened read-only.
  Result<void> check_read_write(std::string_view what) const;

  std::unique_ptr<store::LogStore> m_store;
  store::SqliteLogStore *m_sqlite = nullptr; // m_store, when it is SQLite
  std::filesystem::path m_key_path;
  std::optional<LogKey> m_key;
  // A shared store: members without the signing key append without the automatic checkpoints (the
  // key holder makes them), so verify does not require one at every checkpoint_interval.
  bool m_checkpoints_required = true;
  std::string m_trusted_vkey;
};

} // namespace complycli::auditlog
