#pragma once

// The audit log's storage (docs/postgresql.md, "One design for both stores"): a narrow interface that
// does the SQL, with a SQLite backend (store/sqlite_log.hpp, a file in the workspace) and a PostgreSQL
// backend (store/postgres_log.hpp, a server shared by a team). lib/auditlog computes every hash, link,
// Merkle node and checkpoint and stores them through this interface; the stores know nothing of hashes.

#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace complycli::store {

using Hash = std::array<uint8_t, 32>;

// One row of `entries`. The views point into the store's buffers during a visit, or into the caller's
// strings for an insert.
struct EntryRow {
  int64_t seq = 0;
  std::string_view time, actor, action, target, outcome, details;
  std::span<const uint8_t> prev_hash, hash;
};

struct CheckpointRow {
  int64_t id = 0;
  int64_t size = 0;
  std::string time;
  std::string note;
};

// A stored perfect subtree of the Merkle tree.
struct TreeNode {
  int height = 0;
  int64_t index = 0;
  Hash hash{};
};

// Which entries `select` visits. Times compare as stored text (RFC 3339, microseconds, UTC).
struct EntryFilter {
  std::optional<std::string> since, until, actor, action, target;
  std::optional<int64_t> limit; // only the last `limit` matching entries (still in order)
};

// What `audit stats` shows that only a query over the whole table can say.
struct Aggregates {
  int64_t entries = 0;
  std::string first_time, last_time;
  int64_t actors = 0;
  std::vector<std::pair<std::string, int64_t>> actions; // most frequent first
  int64_t checkpoints = 0;
  int64_t last_checkpoint_size = 0;
  std::string last_checkpoint_time;
  int64_t bytes = 0; // the space the log takes (files, or the tables' relations)
};

// The metadata rows of a new log, in order (application, schema_version, origin, public_key, created).
using MetaRows = std::vector<std::pair<std::string, std::string>>;

using EntryVisitor = std::function<Result<void>(const EntryRow &)>;

class LogStore {
public:
  virtual ~LogStore() = default;

  // The file or the URL (without a password), for messages.
  virtual std::string name() const = 0;
  virtual bool read_only() const = 0;

  // Run `body` in one write transaction that holds the chain-head lock (no other writer, in any
  // process, appends until it ends), committed durably when `body` succeeds and rolled back when it
  // fails. Inside a transaction, `body` just runs.
  virtual Result<void> write(const std::function<Result<void>()> &body) = 0;
  // Run `body` on one consistent snapshot.
  virtual Result<void> read(const std::function<Result<void>()> &body) = 0;
  // Another connection to the same log, opened the same way (a second reader for a parallel scan).
  virtual Result<std::unique_ptr<LogStore>> open_again() const = 0;
  // Ask for fast sequential reads (a memory map); a hint, before a full scan.
  virtual void prepare_scan() {}

  // A `meta` value, empty when the key is absent.
  virtual Result<std::string> meta(std::string_view key) = 0;
  // The last entry's sequence number and hash; (0, zeros) for an empty log.
  virtual Result<std::pair<int64_t, Hash>> head() = 0;
  virtual Result<int64_t> max_seq() = 0;
  // Insert entries (in a write transaction). A store may insert many rows per statement.
  virtual Result<void> insert_entries(std::span<const EntryRow> rows) = 0;
  // Insert a long run of entries (an import): `next` returns the next group to insert (valid until it is
  // called again), an empty one at the end. Nothing else runs on the store meanwhile, so a store may
  // send every group in one statement (PostgreSQL: one COPY) while `next` prepares the following one.
  virtual Result<void> insert_stream(const std::function<Result<std::span<const EntryRow>>()> &next)
  {
    while (true) {
      const auto rows = next();
      if (!rows) {
        return std::unexpected(rows.error());
      }
      if (rows->empty()) {
        return {};
      }
      if (auto done = insert_entries(*rows); !done) {
        return done;
      }
    }
  }
  // Visit entries lo..hi (inclusive) in sequence order. `visit` must not use the store itself: a store
  // may still be receiving the rows (PostgreSQL streams them from one COPY on its one connection).
  virtual Result<void> entries(int64_t lo, int64_t hi, const EntryVisitor &visit) = 0;
  virtual Result<void> select(const EntryFilter &filter, const EntryVisitor &visit) = 0;

  // Store a checkpoint note; returns its id.
  virtual Result<int64_t> insert_checkpoint(int64_t size, std::string_view time, std::string_view note) = 0;
  // Every checkpoint, by size then id.
  virtual Result<std::vector<CheckpointRow>> checkpoints() = 0;

  virtual Result<std::optional<Hash>> tree_node(int height, int64_t index) = 0;
  virtual Result<void> insert_tree_node(int height, int64_t index, const Hash &hash) = 0;
  // Insert many nodes (an import); a store may use one statement.
  virtual Result<void> insert_tree_nodes(std::span<const TreeNode> nodes)
  {
    for (const auto &node : nodes) {
      if (auto done = insert_tree_node(node.height, node.index, node.hash); !done) {
        return done;
      }
    }
    return {};
  }
  // Every stored node, by height then index (none when the store has no tree yet).
  virtual Result<void> tree_nodes(const std::function<Result<void>(const TreeNode &)> &visit) = 0;
  // False for a version 1 SQLite log opened read-only (no tree table yet).
  virtual Result<bool> has_tree() = 0;

  virtual Result<Aggregates> aggregates() = 0;
  // Whether every trigger that refuses UPDATE and DELETE is in place.
  virtual Result<bool> triggers_present() = 0;
};

} // namespace complycli::store
