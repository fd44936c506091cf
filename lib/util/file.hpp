#pragma once

// Whole-file reads and atomic whole-file writes.

#include "core/error.hpp"
#include "util/atomic_file.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace complycli::util {

// Read a whole file into memory; "-" reads standard input.
Result<std::string> read_file(const std::filesystem::path& path);

// Write `content` to `path` atomically (temporary file, fsync, rename).
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                               Overwrite overwrite, mode_t mode = 0644);

// Start the kernel writing `length` bytes of `fd`'s dirty pages from `offset` to disk, without waiting
// (length 0: to the end of the file; sync_file_range). Durability still needs an fsync: this only moves
// the disk writes earlier, so that they overlap with work and the fsync finds little left to do.
void start_writeback(int fd, uint64_t offset = 0, uint64_t length = 0);

} // namespace complycli::util
