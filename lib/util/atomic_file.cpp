#include "util/atomic_file.hpp"

#include "util/cleanup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <utility>

namespace complycli::util {

namespace fs = std::filesystem;

namespace {

Result<void> fsync_folder(const fs::path& folder)
{
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::io, "cannot open folder {}: {}", folder.string(), std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0 && saved != EINVAL) { // some file systems cannot fsync folders
    return fail(Errc::io, "cannot sync folder {}: {}", folder.string(), std::strerror(saved));
  }
  return {};
}

// An unnamed file in `folder` (O_TMPFILE): if the process dies before commit, even by SIGKILL, the
// kernel frees it and nothing is left in the folder. nullopt where the kernel or file system cannot
// make one, or where /proc (needed to give it a name at commit) is not mounted: then the caller falls
// back to a named temporary file. An error for what a named file would hit too (ENOSPC, EACCES...).
Result<std::optional<int>> open_unnamed(const fs::path& folder, const fs::path& target, mode_t mode)
{
#ifdef O_TMPFILE
  if (::access("/proc/self/fd", X_OK) != 0) {
    return std::nullopt;
  }
  const int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
  if (fd >= 0) {
    return fd;
  }
  if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
    return std::nullopt;
  }
  return fail(Errc::io, "cannot create a temporary file beside {}: {}", target.string(), std::strerror(errno));
#else
  (void)folder;
  (void)target;
  (void)mode;
  return std::nullopt;
#endif
}

// `.NAME.tmp-XXXXXX` beside `target`, with six random letters or digits.
std::string hidden_name(const fs::path& target)
{
  static constexpr std::string_view letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device random;
  std::uniform_int_distribution<std::size_t> pick(0, letters.size() - 1);
  std::string name = "." + target.filename().string() + ".tmp-";
  for (int i = 0; i < 6; ++i) {
    name += letters[pick(random)];
  }
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  return folder / name;
}

std::string proc_fd_path(int fd)
{
  return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace

Result<AtomicFile> AtomicFile::create(const fs::path& target, Overwrite overwrite, mode_t mode)
{
  std::error_code ec;
  if (overwrite == Overwrite::no && fs::symlink_status(target, ec).type() != fs::file_type::not_found) {
    return fail_with_hint(Errc::io, "use --force to replace it", "{} already exists", target.string());
  }
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (const auto unnamed = TRY(open_unnamed(folder, target, mode))) {
    AtomicFile file(target, proc_fd_path(*unnamed), *unnamed, overwrite, Naming::unnamed);
    if (::fchmod(*unnamed, mode) != 0) {
      return fail(Errc::io, "cannot set the mode of a temporary file beside {}: {}", target.string(),
                  std::strerror(errno));
    }
    return file;
  }
  std::string pattern = folder / ("." + target.filename().string() + ".tmp-XXXXXX");
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::io, "cannot create a temporary file beside {}: {}", target.string(),
                std::strerror(errno));
  }
  AtomicFile file(target, pattern, fd, overwrite, Naming::named);
  if (::fchmod(fd, mode) != 0) {
    return fail(Errc::io, "cannot set the mode of {}: {}", pattern, std::strerror(errno));
  }
  return file;
}

AtomicFile::AtomicFile(fs::path target, fs::path temporary, int fd, Overwrite overwrite, Naming naming)
    : m_target(std::move(target)), m_temporary(std::move(temporary)), m_fd(fd),
      m_cleanup_slot(naming == Naming::named ? register_file_for_cleanup(m_temporary.string()) : -1),
      m_overwrite(overwrite), m_naming(naming)
{
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_target(std::move(other.m_target)), m_temporary(std::move(other.m_temporary)),
      m_fd(std::exchange(other.m_fd, -1)), m_cleanup_slot(std::exchange(other.m_cleanup_slot, -1)),
      m_overwrite(other.m_overwrite), m_naming(other.m_naming),
      m_committed(std::exchange(other.m_committed, true))
{
}

AtomicFile::~AtomicFile()
{
  discard();
}

Result<void> AtomicFile::write(std::span<const uint8_t> bytes)
{
  const uint8_t* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(m_fd, data, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(Errc::io, "cannot write {}: {}", m_target.string(), std::strerror(errno));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> AtomicFile::write(std::string_view text)
{
  return write(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Result<void> AtomicFile::commit()
{
  if (m_committed || m_fd < 0) {
    return fail(Errc::internal, "{} was already committed", m_target.string());
  }
  if (::fsync(m_fd) != 0) {
    return fail(Errc::io, "cannot sync {}: {}", m_target.string(), std::strerror(errno));
  }
  if (m_naming == Naming::unnamed) {
    TRY_VOID(link_unnamed());
  } else {
    if (::close(std::exchange(m_fd, -1)) != 0) {
      return fail(Errc::io, "cannot close {}: {}", m_target.string(), std::strerror(errno));
    }
    TRY_VOID(move_into_place(m_temporary));
  }
  m_committed = true;
  forget_file(std::exchange(m_cleanup_slot, -1));
  return fsync_folder(m_target.parent_path());
}

// Give the unnamed file its name. Overwrite::no links it at the target (EEXIST if a file appeared);
// Overwrite::yes links it at a fresh hidden name and renames that over the target (rename is the
// only atomic replace), so only a kill between those two calls can leave a (complete) hidden file.
Result<void> AtomicFile::link_unnamed()
{
  const std::string source = proc_fd_path(m_fd);
  if (m_overwrite == Overwrite::no) {
    TRY_VOID(move_into_place(source));
  } else {
    std::string named;
    for (int attempt = 0;; ++attempt) {
      std::string candidate = hidden_name(m_target);
      if (::linkat(AT_FDCWD, source.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        named = std::move(candidate);
        break;
      }
      if (errno != EEXIST || attempt >= 100) {
        return fail(Errc::io, "cannot create a temporary file beside {}: {}", m_target.string(),
                    std::strerror(errno));
      }
    }
    const int slot = register_file_for_cleanup(named);
    auto moved = move_into_place(named);
    forget_file(slot);
    if (!moved) {
      ::unlink(named.c_str());
      return moved;
    }
  }
  if (::close(std::exchange(m_fd, -1)) != 0) {
    return fail(Errc::io, "cannot close {}: {}", m_target.string(), std::strerror(errno));
  }
  return {};
}

// Move the complete file `from` (a path, or /proc/self/fd/N) to the target, as m_overwrite says.
Result<void> AtomicFile::move_into_place(const std::string& from)
{
  if (m_overwrite == Overwrite::yes) {
    if (::rename(from.c_str(), m_target.c_str()) != 0) {
      return fail(Errc::io, "cannot rename {} to {}: {}", from, m_target.string(), std::strerror(errno));
    }
    return {};
  }
  // link(2) fails with EEXIST instead of replacing a file that appeared since create().
  if (::linkat(AT_FDCWD, from.c_str(), AT_FDCWD, m_target.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    const int saved = errno;
    if (saved == EEXIST) {
      return fail_with_hint(Errc::io, "use --force to replace it", "{} already exists", m_target.string());
    }
    return fail(Errc::io, "cannot create {}: {}", m_target.string(), std::strerror(saved));
  }
  if (m_naming == Naming::named) {
    ::unlink(from.c_str());
  }
  return {};
}

void AtomicFile::discard() noexcept
{
  if (m_fd >= 0) {
    ::close(std::exchange(m_fd, -1));
  }
  if (!m_committed && !m_temporary.empty()) {
    if (m_naming == Naming::named) {
      ::unlink(m_temporary.c_str());
    }
    m_committed = true;
  }
  forget_file(std::exchange(m_cleanup_slot, -1));
}

} // namespace complycli::util
