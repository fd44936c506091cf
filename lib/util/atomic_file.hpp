#pragma once

// A file that appears at its target path complete or not at all: written to a temporary file in the
// target's folder, fsynced, then linked to (or renamed over) the target by `commit()`. The temporary
// file is unnamed (O_TMPFILE) where the file system allows it, so that even SIGKILL or a power cut
// leaves nothing behind (but for one window when replacing a file: see commit() in atomic_file.cpp);
// elsewhere it is a hidden `.NAME.tmp-XXXXXX` file. Destroying an uncommitted
// AtomicFile removes the temporary file, and so does an interrupt (see util/cleanup.hpp).
//
// Output paths that are not regular files: a character device (`-o /dev/null`), a FIFO or a Unix
// socket that already exists is written in place, with or without Overwrite::yes: no temporary file,
// no rename, no fsync. Overwrite::yes only ever replaces a regular file; any other existing path (a
// folder, a block device, a symbolic link to anything but a device, FIFO or socket) is refused, so that
// `--force -o /dev/null` can never turn the device node into a regular file.

#include "core/error.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace complycli::util {

enum class Overwrite { no, yes };

class AtomicFile {
public:
  // Start writing `target`. With Overwrite::no an existing target is an error, now and at commit.
  static Result<AtomicFile> create(const std::filesystem::path& target, Overwrite overwrite,
                                   mode_t mode = 0644);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Append bytes to the temporary file.
  Result<void> write(std::span<const uint8_t> bytes);
  Result<void> write(std::string_view text);

  // fsync the data, move it to the target path, fsync the folder. After this the file is final.
  Result<void> commit();

  // Remove the temporary file now (the destructor does it too).
  void discard() noexcept;

  const std::filesystem::path& target() const { return m_target; }
  // True when the target is a device, FIFO or socket written in place (there is no temporary file).
  bool in_place() const { return m_naming == Naming::in_place; }
  // A path that opens the temporary file (/proc/self/fd/N for an unnamed one), until commit. Empty
  // when in_place().
  const std::filesystem::path& temporary_path() const { return m_temporary; }
  int fd() const { return m_fd; }

private:
  enum class Naming { unnamed, named, in_place };
  AtomicFile(std::filesystem::path target, std::filesystem::path temporary, int fd, Overwrite overwrite,
             Naming naming);
  Result<void> link_unnamed();
  Result<void> move_into_place(const std::string& from);

  std::filesystem::path m_target;
  std::filesystem::path m_temporary;
  int m_fd = -1;
  int m_cleanup_slot = -1;
  Overwrite m_overwrite;
  Naming m_naming;
  bool m_committed = false;
};

// True if `target` exists and is a character device, FIFO or socket (following symbolic links): the
// kind of output that AtomicFile writes in place, and that therefore cannot be read back or verified.
bool writes_in_place(const std::filesystem::path& target);

} // namespace complycli::util
