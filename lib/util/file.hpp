#pragma once

// Whole-file reads and atomic whole-file writes.

#include "core/error.hpp"
#include "util/atomic_file.hpp"

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace complycli::util {

// Read a whole file into memory; "-" reads standard input.
Result<std::string> read_file(const std::filesystem::path& path);

// Write `content` to `path` atomically (temporary file, fsync, rename).
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                               Overwrite overwrite, mode_t mode = 0644);

} // namespace complycli::util
