#pragma once

// Helpers for unit tests: a private temporary folder that is removed afterwards.

#include <cstddef>
#include <filesystem>
#include <iterator>
#include <string>

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

} // namespace complycli::test
