#include "util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace complycli::util {

Result<std::string> read_file(const std::filesystem::path& path)
{
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::io, "cannot read {}: {}", path.string(), std::strerror(errno));
  }
  std::string content;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int saved = errno;
      if (!is_stdin) {
        ::close(fd);
      }
      return fail(Errc::io, "cannot read {}: {}", path.string(), std::strerror(saved));
    }
    if (n == 0) {
      break;
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  if (!is_stdin) {
    ::close(fd);
  }
  return content;
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                               Overwrite overwrite, mode_t mode)
{
  auto file = TRY(AtomicFile::create(path, overwrite, mode));
  TRY_VOID(file.write(content));
  return file.commit();
}

void start_writeback(int fd, uint64_t offset, uint64_t length)
{
  if (fd >= 0) {
    ::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
  }
}

} // namespace complycli::util
