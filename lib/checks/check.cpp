#include "checks/check.hpp"

#include "evidence/database.hpp"
#include "util/data_dir.hpp"
#include "util/env.hpp"
#include "util/file.hpp"
#include "yaml/node.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace complycli::checks {

namespace fs = std::filesystem;

const char* to_string(Severity severity)
{
  switch (severity) {
  case Severity::low: return "low";
  case Severity::medium: return "medium";
  case Severity::high: return "high";
  case Severity::critical: return "critical";
  }
  return "medium";
}

const char* to_string(Status status)
{
  switch (status) {
  case Status::pass: return "pass";
  case Status::fail: return "fail";
  case Status::skip: return "skip";
  case Status::error: return "error";
  case Status::unknown: return "unknown";
  }
  return "error";
}

std::optional<Severity> parse_severity(std::string_view text)
{
  for (auto s : {Severity::low, Severity::medium, Severity::high, Severity::critical}) {
    if (text == to_string(s)) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<Status> parse_status(std::string_view text)
{
  for (auto s : {Status::pass, Status::fail, Status::skip, Status::error, Status::unknown}) {
    if (text == to_string(s)) {
      return s;
    }
  }
  return std::nullopt;
}

bool Check::maps_to(const std::string& framework, const std::string& control) const
{
  for (const auto& [fw, ids] : controls) {
    if (!framework.empty() && fw != framework) {
      continue;
    }
    if (control.empty() ? !ids.empty() : std::find(ids.begin(), ids.end(), control) != ids.end()) {
      return true;
    }
  }
  return false;
}

namespace {

std::unexpected<Error> at(const std::string& file, const YAML::Mark& mark, const std::string& message)
{
  // An empty document has no position (-1): report its start.
  return fail(Errc::config, "{}:{}:{}: {}", file, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1, message);
}

Result<std::string> required_text(const YAML::Node& root, const char* key, const std::string& file)
{
  const auto node = root[key];
  if (!node) {
    return at(file, root.Mark(), fmt::format("missing required key \"{}\"", key));
  }
  if (!node.IsScalar() || node.Scalar().empty()) {
    return at(file, node.Mark(), fmt::format("\"{}\" must be a non-empty string", key));
  }
  return node.Scalar();
}

} // namespace

Result<Check> parse_check(const std::string& text, const std::string& file)
{
  const YAML::Node root = TRY(yaml::load_node(text, file));
  if (!root.IsMap()) {
    return at(file, root.Mark(), "a check must be a mapping with id, title, severity, rationale, remediation, controls, query");
  }
  static const std::set<std::string> known = {"id", "title", "severity", "rationale", "remediation", "controls", "query", "examples"};
  for (const auto& item : root) { // (a key given twice is refused by load_node)
    if (!item.first.IsScalar() || !known.count(item.first.Scalar())) {
      return at(file, item.first.Mark(), fmt::format("unknown key \"{}\"", item.first.IsScalar() ? item.first.Scalar() : "?"));
    }
  }
  Check check;
  check.file = file;
  check.id = TRY(required_text(root, "id", file));
  static const std::regex id_pattern("[a-z0-9][a-z0-9-]*");
  if (!std::regex_match(check.id, id_pattern)) {
    return at(file, root["id"].Mark(), fmt::format("id \"{}\" must be lower-case letters, digits and dashes", check.id));
  }
  if (fs::path(file).stem().string() != check.id) {
    return at(file, root["id"].Mark(), fmt::format("id \"{}\" does not match the file name", check.id));
  }
  check.title = TRY(required_text(root, "title", file));
  const auto severity = TRY(required_text(root, "severity", file));
  if (auto s = parse_severity(severity)) {
    check.severity = *s;
  } else {
    return at(file, root["severity"].Mark(), fmt::format("severity must be low, medium, high or critical, not \"{}\"", severity));
  }
  check.rationale = TRY(required_text(root, "rationale", file));
  check.remediation = TRY(required_text(root, "remediation", file));
  const auto controls = root["controls"];
  if (!controls) {
    return at(file, root.Mark(), "missing required key \"controls\"");
  }
  if (!controls.IsMap() || controls.size() == 0) {
    return at(file, controls.Mark(), "\"controls\" must map frameworks (soc2, iso27001_2022, gdpr, hipaa, eu_ai_act) to lists of control ids");
  }
  for (const auto& item : controls) {
    const std::string framework = item.first.Scalar();
    if (std::find(frameworks.begin(), frameworks.end(), framework) == frameworks.end()) {
      return at(file, item.first.Mark(), fmt::format("unknown framework \"{}\" (known: soc2, iso27001_2022, gdpr, hipaa, eu_ai_act)", framework));
    }
    if (!item.second.IsSequence() || item.second.size() == 0) {
      return at(file, item.second.Mark(), fmt::format("controls.{} must be a non-empty list of control ids", framework));
    }
    auto& ids = check.controls[framework];
    for (const auto& id : item.second) {
      if (!id.IsScalar() || id.Scalar().empty()) {
        return at(file, id.Mark(), "a control id must be a non-empty string");
      }
      ids.push_back(id.Scalar());
    }
  }
  check.query = TRY(required_text(root, "query", file));
  check.line = root["query"].Mark().line + 1;
  // The query must compile against the evidence schema and return exactly the five columns.
  auto db = TRY(evidence::Database::open());
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db.handle(), check.query.c_str(), -1, &statement, nullptr) != SQLITE_OK || !statement) {
    const std::string message = statement ? "" : sqlite3_errmsg(db.handle());
    return at(file, root["query"].Mark(), fmt::format("query does not compile: {}", message.empty() ? "empty query" : message));
  }
  std::vector<std::string> columns;
  for (int i = 0; i < sqlite3_column_count(statement); ++i) {
    columns.emplace_back(sqlite3_column_name(statement, i));
  }
  sqlite3_finalize(statement);
  const std::vector<std::string> expected = {"resource", "status", "reason", "file", "line"};
  if (columns != expected) {
    std::string got;
    for (const auto& c : columns) {
      got += (got.empty() ? "" : ", ") + c;
    }
    return at(file, root["query"].Mark(), fmt::format("query must return columns resource, status, reason, file, line (it returns {})", got));
  }
  return check;
}

Result<std::vector<Check>> load_checks(const std::vector<fs::path>& dirs)
{
  std::vector<Check> checks;
  std::map<std::string, std::string> seen;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return fail(Errc::usage, "{}: not a folder of checks", dir.string());
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const auto ext = entry.path().extension();
      const auto name = entry.path().filename().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml") && name[0] != '_' && name[0] != '.') {
        files.push_back(entry.path());
      }
    }
    if (ec) {
      return fail(Errc::io, "cannot read {}: {}", dir.string(), ec.message());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const auto text = TRY(util::read_file(file));
      auto check = TRY(parse_check(text, file.string()));
      if (auto it = seen.find(check.id); it != seen.end()) {
        return fail(Errc::config, "{}:1:1: check id \"{}\" is already defined in {}", file.string(), check.id, it->second);
      }
      seen.emplace(check.id, file.string());
      checks.push_back(std::move(check));
    }
  }
  return checks;
}

fs::path builtin_checks_dir()
{
  if (auto env = util::get_env("COMPLYCLI_DATA_DIR")) {
    return fs::path(*env) / "checks";
  }
  std::error_code ec;
  const fs::path installed = util::installed_data_dir() / "checks";
  if (fs::is_directory(installed, ec)) {
    return installed;
  }
  return fs::path(COMPLYCLI_SOURCE_DIR) / "checks";
}

std::string control_title(const std::string& framework, const std::string& control)
{
  static const std::map<std::pair<std::string, std::string>, std::string> titles = {
      {{"soc2", "CC1.4"}, "Commitment to competence (training, background checks)"},
      {{"soc2", "CC2.2"}, "Internal communication of security responsibilities"},
      {{"soc2", "CC2.3"}, "Communication with external parties"},
      {{"soc2", "CC3.4"}, "Assessment of changes that affect internal control"},
      {{"soc2", "CC4.1"}, "Ongoing and separate evaluations"},
      {{"soc2", "CC6.1"}, "Logical access security, encryption of data at rest"},
      {{"soc2", "CC6.2"}, "Registration and authorisation of users"},
      {{"soc2", "CC6.3"}, "Role-based access, periodic access reviews"},
      {{"soc2", "CC6.6"}, "Protection against threats from outside the system boundary"},
      {{"soc2", "CC6.7"}, "Encryption of data in transit"},
      {{"soc2", "CC6.8"}, "Prevention of unauthorised or malicious software"},
      {{"soc2", "CC7.1"}, "Detection of configuration changes and vulnerabilities"},
      {{"soc2", "CC7.2"}, "Monitoring of system components for anomalies"},
      {{"soc2", "CC7.3"}, "Evaluation of security events"},
      {{"soc2", "CC7.4"}, "Incident response"},
      {{"soc2", "CC8.1"}, "Change management"},
      {{"soc2", "CC9.2"}, "Vendor and business partner risk management"},
      {{"soc2", "A1.2"}, "Backups and recovery infrastructure"},
      {{"soc2", "A1.3"}, "Recovery plan testing"},
      {{"soc2", "C1.1"}, "Protection of confidential information"},
      {{"soc2", "P6.1"}, "Disclosure of personal information to third parties"},
      {{"eu_ai_act", "Art.10"}, "Data and data governance"},
      {{"eu_ai_act", "Art.12"}, "Record-keeping (automatic logging of events)"},
      {{"eu_ai_act", "Art.14"}, "Human oversight"},
      {{"eu_ai_act", "Art.15"}, "Accuracy, robustness and cybersecurity"},
      {{"eu_ai_act", "Art.26(2)"}, "Deployers assign human oversight to competent people"},
      {{"eu_ai_act", "Art.26(6)"}, "Deployers keep the logs for at least six months"},
  };
  const auto it = titles.find({framework, control});
  return it == titles.end() ? "" : it->second;
}

} // namespace complycli::checks
