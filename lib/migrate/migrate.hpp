#pragma once

// `complycli store migrate` (docs/postgresql.md, "Moving a workspace"): move a workspace's audit log
// and keystore from their SQLite files to an empty PostgreSQL database, or back. Each move is a sequence of steps:
// check the destination, verify the source, copy the log into the destination in one transaction and
// verify the copy there before it commits, then switch settings.json over. The source is never deleted.

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "store/log_store.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace complycli::migrate {

// What a move did.
struct Report {
  std::string from, to;        // the stores (a file, or a URL without password)
  int64_t entries = 0;         // entries copied (before the store.migrate entry)
  int64_t checkpoints = 0;     // checkpoints copied
  int64_t tree_nodes = 0;      // stored Merkle subtrees copied
  int64_t signed_checkpoints = 0; // automatic checkpoints the source lacked, signed for SQLite
  store::Hash head{};          // the head the source had, and the copy has under the store.migrate entry
  int64_t migrate_seq = 0;     // the store.migrate entry's sequence number
  std::filesystem::path kept;  // where the SQLite file went (to PostgreSQL), empty otherwise
  int64_t matters = 0;         // matters whose keystore rows were copied
  std::filesystem::path kept_keys; // where keystore.db went (to PostgreSQL), empty when there was none
};

// How many rows `copy_log` copied.
struct CopyCounts {
  int64_t entries = 0, checkpoints = 0, tree_nodes = 0;
};

// Copy every entry, checkpoint and stored Merkle subtree of `from` into `to`, which must be empty and
// in a write transaction (its `meta` rows already in place). Rows are copied as stored: hashes are
// not recomputed here (verify does that afterwards).
Result<CopyCounts> copy_log(store::LogStore &from, store::LogStore &to);

// Move the workspace's audit log and keystore (SQLite) into the empty PostgreSQL database at `url`, in
// one transaction, record a `store.migrate` entry by `actor` there, point settings.json at it and
// rename audit.db and keystore.db to NAME.migrated-TIME (kept, never deleted). Errc::usage for a workspace already on a server;
// Errc::io for a target that is not empty, has another log's origin, or cannot be reached;
// Errc::chain_broken for a source that does not verify. Nothing changes when it fails.
Result<Report> to_postgres(const core::Workspace &workspace, const std::string &url, const std::string &actor);

// Move the workspace's audit log and keystore from its PostgreSQL server into a new audit.db and
// keystore.db in the workspace (written as NAME.migrating, the log verified, then renamed), record
// `store.migrate` there and drop the URL from settings.json; the server's log and keystore are left as
// they are. Needs the log key (log.key). Errc::io for an existing non-empty audit.db or keystore.db or a
// missing log key.
Result<Report> to_sqlite(const core::Workspace &workspace, const std::string &actor);

} // namespace complycli::migrate
