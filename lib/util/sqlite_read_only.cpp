#include "util/sqlite_read_only.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace complycli::util {

namespace fs = std::filesystem;

namespace {

// A WAL file starts with a 32-byte header; anything longer holds frames.
constexpr off_t wal_header_size = 32;

// `path` as a URI path: every byte other than unreserved characters and '/' percent-encoded.
std::string uri_path(const std::string &path)
{
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
        c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

} // namespace

bool folder_takes_writes(const fs::path &folder)
{
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0) {
    return false;
  }
  return ::access(folder.c_str(), W_OK) == 0 && (st.st_mode & 0222) != 0;
}

Result<std::string> sqlite_read_only_uri(const fs::path &path)
{
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail(Errc::io, "cannot open {}: {}", path.string(), std::strerror(errno));
  }
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string uri = "file:" + uri_path(path.string()) + "?mode=ro";
  if (folder_takes_writes(folder)) {
    return uri;
  }
  const std::string wal = path.string() + "-wal";
  const std::string shm = path.string() + "-shm";
  if (::stat(wal.c_str(), &st) != 0 || st.st_size <= wal_header_size) {
    return uri + "&immutable=1";
  }
  if (::stat(shm.c_str(), &st) == 0) {
    return uri + "&readonly_shm=1";
  }
  return fail_with_hint(Errc::io,
                        "copy the whole folder to a writable place, where SQLite rebuilds the -shm file, and run "
                        "complycli there, e.g. cp -a FOLDER /tmp/copy && complycli --home /tmp/copy ...",
                        "cannot read {} from a read-only folder: its write-ahead log {} holds changes, and SQLite "
                        "reads them only with {}, which is missing and cannot be created here",
                        path.string(), wal, shm);
}

} // namespace complycli::util
