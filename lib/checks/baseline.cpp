#include "checks/baseline.hpp"

#include "evidence/evidence.hpp"
#include "util/file.hpp"

#include <map>
#include <system_error>

namespace complycli::checks {

namespace fs = std::filesystem;

namespace {

std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t offset)
{
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

std::string location_text(const std::string& file, const std::optional<int64_t>& line)
{
  if (file.empty()) {
    return "";
  }
  return line ? fmt::format("{}:{}", file, *line) : file;
}

} // namespace

bool is_problem(Status status)
{
  return status != Status::pass && status != Status::skip;
}

std::string normalise_path(std::string_view file)
{
  if (file.empty() || file.find("://") != std::string_view::npos) {
    return std::string(file);
  }
  fs::path path = fs::path(file).lexically_normal();
  if (path.is_absolute()) {
    std::error_code ec;
    const auto cwd = fs::current_path(ec);
    if (!ec) {
      const auto relative = path.lexically_relative(cwd);
      if (!relative.empty() && *relative.begin() != "..") {
        path = relative;
      }
    }
  }
  auto text = path.generic_string();
  while (text.starts_with("./")) {
    text.erase(0, 2);
  }
  return text;
}

std::string normalise_reason(std::string_view reason)
{
  std::string out;
  int depth = 0;
  for (const char c : reason) {
    if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
      if (space) {
        if (!out.empty() && out.back() != ' ') {
          out += ' ';
        }
      } else {
        out += c;
      }
    }
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

std::string location_key(std::string_view check, std::string_view resource, std::string_view file)
{
  return evidence::sha256_hex(fmt::format("complycli-location/v1\n{}\n{}\n{}", check, resource, normalise_path(file)));
}

std::string fingerprint(std::string_view check, std::string_view resource, std::string_view file, std::string_view reason)
{
  return evidence::sha256_hex(fmt::format("complycli-finding/v1\n{}\n{}\n{}\n{}", check, resource, normalise_path(file),
                                          normalise_reason(reason)));
}

Result<Baseline> parse_baseline(const std::string& text, const std::string& file)
{
  nlohmann::json data;
  try {
    data = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = line_column(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string what = e.what();
    const auto position = what.find("column ");
    if (const auto colon = what.find(": ", position == std::string::npos ? 0 : position); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return fail(Errc::parse, "{}:{}:{}: not valid JSON: {} (expected the results JSON `complycli check --results` writes)",
                file, line, column, what);
  }
  if (!data.is_object() || !data.contains("checks") || !data["checks"].is_array()) {
    return fail(Errc::config, "{}: not a check results file (no \"checks\" list)", file);
  }
  Baseline baseline{file, {}};
  const auto& list = data["checks"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& check = list[i];
    if (!check.is_object() || !check.contains("id") || !check["id"].is_string()) {
      return fail(Errc::config, "{}: checks[{}] needs an \"id\"", file, i);
    }
    if (!check.contains("findings")) {
      continue;
    }
    if (!check["findings"].is_array()) {
      return fail(Errc::config, "{}: checks[{}].findings must be a list", file, i);
    }
    for (std::size_t j = 0; j < check["findings"].size(); ++j) {
      const auto& f = check["findings"][j];
      auto text_field = [&](const char* key) -> Result<std::string> {
        if (!f.contains(key) || f[key].is_null()) {
          return std::string();
        }
        if (!f[key].is_string()) {
          return fail(Errc::config, "{}: checks[{}].findings[{}].{} must be text", file, i, j, key);
        }
        return f[key].get<std::string>();
      };
      if (!f.is_object()) {
        return fail(Errc::config, "{}: checks[{}].findings[{}] must be an object", file, i, j);
      }
      FixedFinding entry;
      entry.check = check["id"].get<std::string>();
      entry.resource = TRY(text_field("resource"));
      entry.status = TRY(text_field("status"));
      entry.reason = TRY(text_field("reason"));
      entry.file = TRY(text_field("file"));
      if (f.contains("line") && f["line"].is_number_integer()) {
        entry.line = f["line"].get<int64_t>();
      }
      const auto status = parse_status(entry.status);
      if (status && !is_problem(*status)) {
        continue;
      }
      if (!status && (entry.status == "pass" || entry.status == "skip")) {
        continue;
      }
      entry.fingerprint = fingerprint(entry.check, entry.resource, entry.file, entry.reason);
      baseline.findings.push_back(std::move(entry));
    }
  }
  return baseline;
}

Result<Baseline> load_baseline(const fs::path& file)
{
  const auto text = TRY(util::read_file(file));
  return parse_baseline(text, file.string());
}

BaselineCounts apply_baseline(Report& report, const Baseline& baseline)
{
  std::multimap<std::string, std::size_t> by_fingerprint, by_location;
  for (std::size_t i = 0; i < baseline.findings.size(); ++i) {
    const auto& b = baseline.findings[i];
    by_fingerprint.emplace(b.fingerprint, i);
    by_location.emplace(location_key(b.check, b.resource, b.file), i);
  }
  std::vector<bool> used(baseline.findings.size(), false);
  auto take = [&](const std::multimap<std::string, std::size_t>& index, const std::string& key) {
    auto [first, last] = index.equal_range(key);
    for (auto it = first; it != last; ++it) {
      if (!used[it->second]) {
        used[it->second] = true;
        return true;
      }
    }
    return false;
  };
  // Exact matches first, so that a finding whose setting changed cannot take another's identity.
  for (auto& r : report.results) {
    for (auto& f : r.findings) {
      f.baseline_state.clear();
      if (is_problem(f.status) && take(by_fingerprint, fingerprint(r.check.id, f.resource, f.file, f.reason))) {
        f.baseline_state = "unchanged";
      }
    }
  }
  for (auto& r : report.results) {
    for (auto& f : r.findings) {
      if (!is_problem(f.status) || !f.baseline_state.empty()) {
        continue;
      }
      f.baseline_state = take(by_location, location_key(r.check.id, f.resource, f.file)) ? "updated" : "new";
    }
  }
  report.baseline = baseline.file;
  report.fixed.clear();
  for (std::size_t i = 0; i < baseline.findings.size(); ++i) {
    if (!used[i]) {
      report.fixed.push_back(baseline.findings[i]);
    }
  }
  return baseline_counts(report);
}

BaselineCounts baseline_counts(const Report& report)
{
  BaselineCounts counts;
  for (const auto& r : report.results) {
    for (const auto& f : r.findings) {
      counts.added += f.baseline_state == "new" ? 1 : 0;
      counts.unchanged += f.baseline_state == "unchanged" ? 1 : 0;
      counts.updated += f.baseline_state == "updated" ? 1 : 0;
    }
  }
  counts.fixed = report.fixed.size();
  return counts;
}

std::size_t gate_new_only(Report& report)
{
  std::size_t count = 0;
  for (auto& r : report.results) {
    for (auto& f : r.findings) {
      f.gating = f.gating && f.baseline_state == "new";
      count += f.gating ? 1 : 0;
    }
  }
  return count;
}

std::string render_baseline_text(const Report& report)
{
  if (report.baseline.empty()) {
    return "";
  }
  const auto counts = baseline_counts(report);
  std::string out = fmt::format("Baseline {}: {} new, {} unchanged, {} updated, {} fixed\n", report.baseline, counts.added,
                                counts.unchanged, counts.updated, counts.fixed);
  for (const auto& r : report.results) {
    for (const auto& f : r.findings) {
      if (f.baseline_state == "new" || f.baseline_state == "updated") {
        const auto where = location_text(f.file, f.line);
        out += fmt::format("  {:<9} {}  {}{}\n", f.baseline_state == "new" ? "NEW" : "UPDATED", r.check.id, f.resource,
                           where.empty() ? "" : " (" + where + ")");
      }
    }
  }
  for (const auto& f : report.fixed) {
    const auto where = location_text(f.file, f.line);
    out += fmt::format("  {:<9} {}  {}{}\n", "FIXED", f.check, f.resource, where.empty() ? "" : " (was " + where + ")");
  }
  return out;
}

} // namespace complycli::checks
