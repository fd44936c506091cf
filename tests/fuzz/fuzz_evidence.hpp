#pragma once

// The config-loader targets: the input becomes one file of the given name, collected the way
// `complycli check PATH` collects it (the file is recognised by its name, then loaded).

#include "fuzz_support.hpp"

#include "evidence/evidence.hpp"

namespace complycli::fuzz {

inline int collect_as(std::string_view name, const uint8_t* data, std::size_t size)
{
  const auto path = write_input(name, text_of(data, size));
  evidence::Sources sources;
  sources.paths = {path};
  sources.today = "2026-06-01";
  sources.generated = "2026-06-01T00:00:00Z";
  auto evidence = evidence::collect(sources);
  if (evidence) {
    // Every row must be readable back (text columns that are valid for SQLite).
    (void)evidence->db.query("SELECT * FROM evidence_errors");
  }
  return 0;
}

} // namespace complycli::fuzz
