#include "util/atomic_file.hpp"

#include "util/cleanup.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
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

bool is_special(mode_t mode)
{
  return S_ISCHR(mode) || S_ISFIFO(mode) || S_ISSOCK(mode);
}

const char* kind_of(mode_t mode)
{
  if (S_ISDIR(mode)) {
    return "a folder";
  }
  if (S_ISBLK(mode)) {
    return "a block device";
  }
  if (S_ISLNK(mode)) {
    return "a symbolic link";
  }
  return "not a regular file";
}

// Connect to the Unix stream socket at `target`, to write to it like a FIFO.
Result<int> connect_socket(const fs::path& target)
{
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = target.string();
  if (path.size() >= sizeof address.sun_path) {
    return fail(Errc::io, "cannot write to the socket {}: its path is too long", path);
  }
  std::copy(path.begin(), path.end(), address.sun_path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return fail(Errc::io, "cannot write to the socket {}: {}", path, std::strerror(errno));
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int saved = errno;
    ::close(fd);
    return fail(Errc::io, "cannot write to the socket {}: {}", path, std::strerror(saved));
  }
  return fd;
}

// Open an existing device, FIFO or socket for writing, without creating or truncating anything.
// nullopt if what is there now is a regular file after all (it changed since the caller looked).
Result<std::optional<int>> open_in_place(const fs::path& target, mode_t mode)
{
  int fd = -1;
  if (S_ISSOCK(mode)) {
    fd = TRY(connect_socket(target));
  } else {
    fd = ::open(target.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      return fail(Errc::io, "cannot open {}: {}", target.string(), std::strerror(errno));
    }
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !is_special(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  return fd;
}

} // namespace

bool writes_in_place(const fs::path& target)
{
  struct stat st {};
  return ::stat(target.c_str(), &st) == 0 && is_special(st.st_mode);
}

Result<AtomicFile> AtomicFile::create(const fs::path& target, Overwrite overwrite, mode_t mode)
{
  struct stat link {};
  if (::lstat(target.c_str(), &link) == 0) {
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0 && is_special(st.st_mode)) {
      if (const auto fd = TRY(open_in_place(target, st.st_mode))) {
        return AtomicFile(target, fs::path(), *fd, overwrite, Naming::in_place);
      }
      return fail(Errc::io, "{} changed while it was being opened", target.string());
    }
    if (overwrite == Overwrite::no) {
      return fail_with_hint(Errc::io, "use --force to replace it", "{} already exists", target.string());
    }
    if (!S_ISREG(link.st_mode)) {
      return fail_with_hint(Errc::io, "--force only replaces regular files", "{} is {}: it is not replaced",
                            target.string(), kind_of(link.st_mode));
    }
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
  if (m_naming == Naming::in_place) {
    m_committed = true;
    if (::close(std::exchange(m_fd, -1)) != 0) {
      return fail(Errc::io, "cannot close {}: {}", m_target.string(), std::strerror(errno));
    }
    return {};
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
    // A device, FIFO, folder or link may have appeared at the target since create(): never replace it.
    struct stat link {};
    if (::lstat(m_target.c_str(), &link) == 0 && !S_ISREG(link.st_mode)) {
      return fail_with_hint(Errc::io, "--force only replaces regular files", "{} is {}: it is not replaced",
                            m_target.string(), kind_of(link.st_mode));
    }
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
