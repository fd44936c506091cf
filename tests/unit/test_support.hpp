#pragma once

// Helpers for unit tests: a private temporary folder that is removed afterwards, and in-memory files.

#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include <stdlib.h>

namespace complycli::test {

class TestContext {
public:
  TestContext()
  {
    std::string pattern = (std::filesystem::temp_directory_path() / "complycli-unit-XXXXXX").string();
    m_dir = ::mkdtemp(pattern.data());
  }
  ~TestContext()
  {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  TestContext(const TestContext&) = delete;
  TestContext& operator=(const TestContext&) = delete;

  const std::filesystem::path& dir() const { return m_dir; }
  std::filesystem::path path(const std::string& name) const { return m_dir / name; }

private:
  std::filesystem::path m_dir;
};

// Number of entries in `dir` (to show that no temporary file was left behind).
inline std::size_t files_in(const std::filesystem::path& dir)
{
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
}

// An anonymous in-memory file holding `data`, positioned at its start.
inline int memfd_with(std::span<const uint8_t> data)
{
  const int fd = ::memfd_create("test", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
  REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

// Everything a file descriptor's file holds (read at offsets: its position does not change).
inline std::vector<uint8_t> contents(int fd)
{
  const off_t size = ::lseek(fd, 0, SEEK_END);
  REQUIRE(size >= 0);
  std::vector<uint8_t> data(static_cast<std::size_t>(size));
  if (!data.empty()) {
    REQUIRE(::pread(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
  }
  return data;
}

} // namespace complycli::test
