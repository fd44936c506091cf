#pragma once

// Helpers for unit tests: a private temporary folder that is removed afterwards.

#include <filesystem>
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

} // namespace complycli::test
