#pragma once

// A registry of temporary files to remove if the process is interrupted (SIGINT, SIGTERM).
// AtomicFile registers its temporary file here; the signal handler in cli/main.cpp calls
// `remove_registered_files()`, which is async-signal-safe.

#include <string>

namespace complycli::util {

// Remember `path` for removal on interrupt; returns a slot to pass to `forget_file`, or -1 when
// the registry is full (the file is then only removed by its owner).
int register_file_for_cleanup(const std::string& path);

// Stop tracking a slot returned by `register_file_for_cleanup` (after commit or normal removal).
void forget_file(int slot);

// Unlink every registered file. Async-signal-safe: only calls unlink(2).
void remove_registered_files() noexcept;

} // namespace complycli::util
