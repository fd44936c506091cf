#pragma once

// Helpers for tests of lib/evidence: write a configuration file, collect the evidence of a folder, and
// read query results as "a|b|c" strings.

#include "evidence/evidence.hpp"
#include "util/file.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace complycli::test {

inline void write_config(const std::filesystem::path& path, const std::string& text)
{
  std::filesystem::create_directories(path.parent_path());
  REQUIRE(util::write_file_atomic(path, text, util::Overwrite::yes));
}

// The evidence of every file under `dir`, collected as of `today` (YYYY-MM-DD).
inline evidence::Evidence collect_folder(const std::filesystem::path& dir, const std::string& today)
{
  evidence::Sources sources;
  sources.paths = {dir};
  sources.today = today;
  sources.generated = today + "T00:00:00.000000Z";
  auto evidence = evidence::collect(sources);
  REQUIRE_MESSAGE(evidence, (evidence ? "" : evidence.error().message));
  return std::move(*evidence);
}

// The rows of a query as "a|b|c" strings.
inline std::vector<std::string> query_rows(const evidence::Database& db, const std::string& sql)
{
  auto result = db.query(sql);
  REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
  std::vector<std::string> out;
  for (const auto& row : result->rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += (i ? "|" : "") + evidence::to_text(row[i]);
    }
    out.push_back(line);
  }
  return out;
}

} // namespace complycli::test
