#pragma once

// The audit log as static files in the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles), for any
// static web host to serve, and their verification without the database:
//   checkpoint                   the signed checkpoint (version 2: with the Merkle root)
//   tile/<L>/<N>[.p/<W>]         256 (or W) hashes of the Merkle tree at level L (subtrees of 256^L leaves)
//   tile/entries/<N>[.p/<W>]     the entries' leaf data (docs/audit-log.md, "Merkle tree"), each
//                                prefixed with its length as a big-endian uint16
// docs/audit-log.md, "Static tiles".

#include "auditlog/auditlog.hpp"
#include "auditlog/note.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace complycli::auditlog {

// The longest leaf data an entry bundle can hold (a uint16 length prefix).
inline constexpr std::size_t max_bundle_entry = 65535;

// The path of a tile below the log's prefix: "tile/<level>/<N>" with N in 3-digit groups, all but the
// last prefixed with 'x' (1234067 -> x001/x234/067), and ".p/<width>" when 0 < width < 256. Level -1
// is the entry bundles ("tile/entries/...").
std::string tile_path(int level, int64_t index, int width = 0);

struct PublishReport {
  int64_t size = 0;          // entries published (the checkpoint's size)
  int64_t previous_size = 0; // the size of the checkpoint that was in the folder before (0 if none)
  int64_t files = 0;         // tiles and bundles written
  std::string checkpoint;    // the signed checkpoint written
};

// Write the log to `folder` as tlog tiles, against the newest stored checkpoint when it covers every
// entry and has a Merkle root, else a new one (a read-write log). Files that an earlier publish wrote and
// that cannot have changed (full tiles below the folder's previous checkpoint) are kept; every file is
// written to a temporary file and renamed, the checkpoint last, so that a host serving the folder always
// serves a complete tree. Errc::usage when the folder holds a checkpoint that is not an earlier state of
// this log, or an entry is too long for a bundle.
Result<PublishReport> publish_tiles(AuditLog &log, const std::filesystem::path &folder);

struct TilesReport {
  CheckpointBody checkpoint;
  int64_t tiles = 0;   // hash tiles checked
  int64_t bundles = 0; // entry bundles checked
};

// Verify a published folder with no database: the checkpoint is signed by `key` and has a Merkle root,
// every entry bundle decodes to entries 1..size whose hashes chain (each entry's prev_hash is the hash of
// the one before, the last one's hash is the checkpoint's head), every tile holds the hashes recomputed
// from the bundles, and the tree's root is the checkpoint's. Errc::chain_broken, naming the file, when
// anything is missing or does not match; Errc::io when the folder or its checkpoint cannot be read.
Result<TilesReport> verify_tiles(const std::filesystem::path &folder, const PublicKey &key);

} // namespace complycli::auditlog
