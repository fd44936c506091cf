#pragma once

// Helpers for tests of read-only access: a folder made read-only (chmod a-w) for the test's length, and
// a snapshot of a folder's files to show that nothing was created, removed or modified.

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

namespace complycli::test {

// Every file of a folder (not recursive): name -> size, modification time (ns) and contents.
struct FileState {
  std::uintmax_t size = 0;
  int64_t mtime_ns = 0;
  std::string bytes;
  bool operator==(const FileState&) const = default;
};

inline std::map<std::string, FileState> snapshot(const std::filesystem::path& dir)
{
  std::map<std::string, FileState> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat st {};
    REQUIRE(::stat(entry.path().c_str(), &st) == 0);
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[entry.path().filename().string()] =
        FileState{static_cast<std::uintmax_t>(st.st_size),
                  int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec, bytes.str()};
  }
  return files;
}

// The names of a snapshot's files, for messages.
inline std::string names(const std::map<std::string, FileState>& files)
{
  std::string out;
  for (const auto& [name, state] : files) {
    out += name + " (" + std::to_string(state.size) + " bytes) ";
  }
  return out;
}

// `dir` and its files without write permission until destroyed (root can still write: the tests
// compare snapshots as well).
class ReadOnlyFolder {
public:
  explicit ReadOnlyFolder(std::filesystem::path dir) : m_dir(std::move(dir))
  {
    for (const auto& entry : std::filesystem::directory_iterator(m_dir)) {
      ::chmod(entry.path().c_str(), 0400);
    }
    ::chmod(m_dir.c_str(), 0500);
  }
  ~ReadOnlyFolder()
  {
    ::chmod(m_dir.c_str(), 0700);
    for (const auto& entry : std::filesystem::directory_iterator(m_dir)) {
      ::chmod(entry.path().c_str(), 0600);
    }
  }
  ReadOnlyFolder(const ReadOnlyFolder&) = delete;
  ReadOnlyFolder& operator=(const ReadOnlyFolder&) = delete;

private:
  std::filesystem::path m_dir;
};

} // namespace complycli::test
