#pragma once

// Opening a SQLite database without writing anything: not the database, and not the -wal and -shm files
// a reader of a WAL database normally creates and writes (a workspace on read-only media or in a folder
// without write permission).

#include "core/error.hpp"

#include <filesystem>
#include <string>

namespace complycli::util {

// How a command opens a workspace database.
enum class Access { read_write, read_only };

// Whether `folder` can take new files: writable for this process and not marked read-only (no write
// permission bit: root may write there, but the owner said not to).
bool folder_takes_writes(const std::filesystem::path &folder);

// A URI (for sqlite3_open_v2 with SQLITE_OPEN_READONLY | SQLITE_OPEN_URI) that opens the existing WAL
// database at `path` for reading without creating or changing any file:
// - in a folder that takes writes: a plain read-only connection (SQLite creates -wal and -shm if they
//   are missing, as any reader does, and shares the -shm with writers);
// - otherwise, when the -wal file is missing or holds no frame: `immutable=1` (the database file holds
//   everything);
// - otherwise, when the -shm file is there: `readonly_shm=1` (SQLite reads the WAL through a private
//   index, never writing the -shm);
// - otherwise Errc::io: SQLite cannot read a WAL without its -shm file on read-only media; the hint says
//   to copy the folder somewhere writable.
Result<std::string> sqlite_read_only_uri(const std::filesystem::path &path);

} // namespace complycli::util
