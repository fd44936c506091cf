#pragma once

// Evidence: the inputs of a check run (configuration files found by walking paths, the company
// profile, live TLS probes) loaded into an in-memory SQLite database. Tables and columns are
// documented in docs/checks.md; every row carries the file (and line, where there is one) it came from.

#include "core/error.hpp"
#include "evidence/database.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace complycli::evidence {

struct Sources {
  std::vector<std::filesystem::path> paths;      // files and folders to walk
  std::optional<std::filesystem::path> profile;  // a profile named explicitly: it must load and validate
  std::vector<std::string> urls;                 // https://HOST[:PORT] to probe live
  std::string today;                             // YYYY-MM-DD: what age checks compare against
  std::string generated;                         // RFC 3339 time of the run
  // A workspace's audit log (audit.db and its log key), read-only: entries by AI workers ("worker:ID")
  // and approvals become `audit_entries` rows.
  std::optional<std::filesystem::path> audit_db;
  std::filesystem::path audit_key;
  // A profile found among `paths` that is not `profile` (or, without `profile`, a second profile):
  // refuse (Errc::usage naming both: a workspace serves one client) or ignore (--profile chose one).
  enum class OtherProfiles { refuse, ignore } other_profiles = OtherProfiles::refuse;
  // --root DIR: the server's file system (a copy of /etc, an unpacked image, / for the live host).
  // Absolute paths in includes are looked up inside it; without it they are looked up only in the
  // walked tree, never on this machine. With no `paths`, its conventional entry points are walked.
  std::optional<std::filesystem::path> root;
};

struct ProfileRef {
  std::string path;
  std::string sha256;
};

struct Evidence {
  Database db;
  std::vector<std::string> inputs;    // every file read, sorted
  std::optional<ProfileRef> profile;  // the profile named by Sources::profile, else the first found
};

// What kind of evidence a file is, judged by its name and content.
enum class Kind { none, nginx, apache, sshd, postgres, pg_hba, headers, terraform, profile, document };
const char* to_string(Kind kind);

// Walk `sources.paths`, recognise and load every file, load the profile, run the probes.
// A path that does not exist is Errc::usage; a named profile that does not parse or validate is
// Errc::parse/Errc::config with file:line:column; files that do not parse become `evidence_errors` rows.
Result<Evidence> collect(const Sources& sources);

// Check that `file` is a company profile (YAML or JSON with an `organisation` mapping).
Result<void> validate_profile(const std::filesystem::path& file);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

} // namespace complycli::evidence
