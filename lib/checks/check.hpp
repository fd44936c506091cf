#pragma once

// Check definitions: one YAML file per check under checks/ (id, title, severity, rationale,
// remediation, the controls it evidences per framework, and an SQL query over the evidence tables
// that returns rows of resource, status, reason, file, line). Loading validates every field and
// compiles the query; a broken file is Errc::config (or Errc::parse) with file:line:column.

#include "core/error.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace complycli::checks {

enum class Severity { low, medium, high, critical };
enum class Status { pass, fail, skip, error, unknown }; // unknown: the deciding setting may be in an unread include

const char* to_string(Severity severity);
const char* to_string(Status status);
std::optional<Severity> parse_severity(std::string_view text);
std::optional<Status> parse_status(std::string_view text);

// The frameworks a check may map to, in display order.
inline const std::vector<std::string> frameworks = {"soc2", "iso27001_2022", "gdpr", "hipaa", "eu_ai_act"};

struct Check {
  std::string id;
  std::string title;
  Severity severity = Severity::medium;
  std::string rationale;
  std::string remediation;
  std::map<std::string, std::vector<std::string>> controls; // framework -> control ids
  std::string query;
  std::string file;   // where it was defined
  int line = 1;       // line of `query:` in that file
  bool maps_to(const std::string& framework, const std::string& control = "") const;
};

// Parse one check file's text (`file` names it in messages and must be named after the id).
Result<Check> parse_check(const std::string& text, const std::string& file);

// Load every *.yaml / *.yml file of each folder, in order (built-in first, then --checks folders).
// Validates each check (fields and query) and refuses two checks with the same id.
Result<std::vector<Check>> load_checks(const std::vector<std::filesystem::path>& dirs);

// The folder of built-in checks: $COMPLYCLI_DATA_DIR/checks, else the installed data folder, else the
// source tree's checks/.
std::filesystem::path builtin_checks_dir();

// Human titles of well-known controls (SOC 2 trust services criteria, ISO 27001:2022 Annex A ...);
// empty when unknown.
std::string control_title(const std::string& framework, const std::string& control);

} // namespace complycli::checks
