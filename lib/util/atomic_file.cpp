#include "util/atomic_file.hpp"

#include "util/cleanup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

} // namespace

Result<AtomicFile> AtomicFile::create(const fs::path& target, Overwrite overwrite, mode_t mode)
{
  std::error_code ec;
  if (overwrite == Overwrite::no && fs::symlink_status(target, ec).type() != fs::file_type::not_found) {
    return fail_with_hint(Errc::io, "use --force to replace it", "{} already exists", target.string());
  }
  const fs::path folder = target.parent_path();
  std::string pattern =
      (folder.empty() ? fs::path(".") : folder) / ("." + target.filename().string() + ".tmp-XXXXXX");
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::io, "cannot create a temporary file beside {}: {}", target.string(),
                std::strerror(errno));
  }
  AtomicFile file(target, pattern, fd, overwrite);
  if (::fchmod(fd, mode) != 0) {
    return fail(Errc::io, "cannot set the mode of {}: {}", pattern, std::strerror(errno));
  }
  return file;
}

AtomicFile::AtomicFile(fs::path target, fs::path temporary, int fd, Overwrite overwrite)
    : m_target(std::move(target)), m_temporary(std::move(temporary)), m_fd(fd),
      m_cleanup_slot(register_file_for_cleanup(m_temporary.string())), m_overwrite(overwrite)
{
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_target(std::move(other.m_target)), m_temporary(std::move(other.m_temporary)),
      m_fd(std::exchange(other.m_fd, -1)), m_cleanup_slot(std::exchange(other.m_cleanup_slot, -1)),
      m_overwrite(other.m_overwrite), m_committed(std::exchange(other.m_committed, true))
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
  if (::close(std::exchange(m_fd, -1)) != 0) {
    return fail(Errc::io, "cannot close {}: {}", m_target.string(), std::strerror(errno));
  }
  if (m_overwrite == Overwrite::yes) {
    if (::rename(m_temporary.c_str(), m_target.c_str()) != 0) {
      return fail(Errc::io, "cannot rename {} to {}: {}", m_temporary.string(), m_target.string(),
                  std::strerror(errno));
    }
  } else {
    // link(2) fails with EEXIST instead of replacing a file that appeared since create().
    if (::link(m_temporary.c_str(), m_target.c_str()) != 0) {
      const int saved = errno;
      if (saved == EEXIST) {
        return fail_with_hint(Errc::io, "use --force to replace it", "{} already exists",
                              m_target.string());
      }
      return fail(Errc::io, "cannot create {}: {}", m_target.string(), std::strerror(saved));
    }
    ::unlink(m_temporary.c_str());
  }
  m_committed = true;
  forget_file(std::exchange(m_cleanup_slot, -1));
  return fsync_folder(m_target.parent_path());
}

void AtomicFile::discard() noexcept
{
  if (m_fd >= 0) {
    ::close(std::exchange(m_fd, -1));
  }
  if (!m_committed && !m_temporary.empty()) {
    ::unlink(m_temporary.c_str());
    m_committed = true;
  }
  forget_file(std::exchange(m_cleanup_slot, -1));
}

} // namespace complycli::util
