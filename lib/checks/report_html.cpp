#include "checks/report_html.hpp"

#include "checks/baseline.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace complycli::checks {

namespace {

using json = nlohmann::json;

// Pixels of the bar charts' drawing area.
constexpr int chart_width = 480;
constexpr int bar_height = 22;
constexpr int bar_gap = 10;
constexpr int label_width = 130;

int status_rank(const std::string& status)
{
  if (status == "fail") {
    return 0;
  }
  if (status == "error") {
    return 1;
  }
  if (status == "pass") {
    return 8;
  }
  if (status == "skip") {
    return 9;
  }
  return 2; // any other (e.g. unknown): a problem, shown after error
}

std::string location(const Finding& f)
{
  if (f.file.empty()) {
    return "";
  }
  return f.line ? fmt::format("{}:{}", f.file, *f.line) : f.file;
}

// A natural sort key: "CC6.10" after "CC6.9".
std::string natural_key(const std::string& id)
{
  std::string out, number;
  for (const char c : id) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      number += c;
      continue;
    }
    if (!number.empty()) {
      out += fmt::format("{:0>8}", number);
      number.clear();
    }
    out += c;
  }
  if (!number.empty()) {
    out += fmt::format("{:0>8}", number);
  }
  return out;
}

// One horizontal stacked bar per row: each status's share of `total` in pixels.
json chart(const std::string& title, const std::vector<std::pair<std::string, std::map<std::string, std::size_t>>>& rows,
           const std::vector<std::string>& statuses)
{
  std::size_t max_total = 1;
  for (const auto& [label, counts] : rows) {
    std::size_t total = 0;
    for (const auto& [s, n] : counts) {
      total += n;
    }
    max_total = std::max(max_total, total);
  }
  json out{{"title", title}, {"rows", json::array()}};
  int y = 0;
  std::string description;
  for (const auto& [label, counts] : rows) {
    json row{{"label", label}, {"y", y}, {"text_y", y + bar_height - 6}, {"segments", json::array()}};
    std::size_t total = 0;
    int x = label_width;
    std::string parts;
    for (const auto& status : statuses) {
      const auto it = counts.find(status);
      if (it == counts.end() || it->second == 0) {
        continue;
      }
      const int width = std::max(2, static_cast<int>(it->second * chart_width / max_total));
      row["segments"].push_back({{"status", status}, {"count", it->second}, {"x", x}, {"y", y}, {"width", width},
                                 {"height", bar_height}});
      x += width;
      total += it->second;
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", it->second, status);
    }
    row["total"] = total;
    row["total_x"] = x + 6;
    out["rows"].push_back(row);
    description += fmt::format("{}{}: {}", description.empty() ? "" : "; ", label, parts.empty() ? "no checks" : parts);
    y += bar_height + bar_gap;
  }
  out["height"] = std::max(y, bar_height);
  out["width"] = label_width + chart_width + 60;
  out["description"] = description;
  return out;
}

} // namespace

std::vector<std::string> statuses_present(const Report& report)
{
  std::set<std::string> seen;
  for (const auto& r : report.results) {
    seen.insert(to_string(r.status));
    for (const auto& f : r.findings) {
      seen.insert(to_string(f.status));
    }
  }
  std::vector<std::string> out(seen.begin(), seen.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return status_rank(a) < status_rank(b); });
  return out;
}

json html_report_data(const Report& report)
{
  const auto statuses = statuses_present(report);
  const auto summary = summarise(report);
  json data;
  data["tool"] = std::string("complycli ") + COMPLYCLI_VERSION;
  data["generated"] = report.generated;
  data["today"] = report.today;
  data["fail_on"] = to_string(report.fail_on);
  data["gating"] = summary.gating;
  data["waived"] = summary.waived;
  data["checks_total"] = report.results.size();
  data["profile"] = report.profile ? json{{"path", report.profile->path}, {"sha256", report.profile->sha256}} : json(nullptr);
  data["inputs"] = report.inputs;
  data["has_inputs"] = !report.inputs.empty();

  // Checks per status, as cards.
  std::map<std::string, std::size_t> check_counts;
  for (const auto& r : report.results) {
    ++check_counts[to_string(r.status)];
  }
  data["status_cards"] = json::array();
  for (const auto& s : statuses) {
    data["status_cards"].push_back({{"status", s}, {"count", check_counts[s]}});
  }
  data["statuses"] = statuses;

  // Bar charts: checks by framework and by severity, split by status.
  std::vector<std::pair<std::string, std::map<std::string, std::size_t>>> by_framework, by_severity;
  for (const auto& fw : frameworks) {
    std::map<std::string, std::size_t> counts;
    for (const auto& r : report.results) {
      if (r.check.controls.count(fw)) {
        ++counts[to_string(r.status)];
      }
    }
    by_framework.emplace_back(fw, counts);
  }
  for (const auto severity : {Severity::critical, Severity::high, Severity::medium, Severity::low}) {
    std::map<std::string, std::size_t> counts;
    for (const auto& r : report.results) {
      if (r.check.severity == severity) {
        ++counts[to_string(r.status)];
      }
    }
    by_severity.emplace_back(to_string(severity), counts);
  }
  data["charts"] = json::array({chart("Checks by framework", by_framework, statuses),
                                chart("Checks by severity", by_severity, statuses)});

  // The control matrix: per framework, each control's checks counted by status.
  data["matrices"] = json::array();
  for (const auto& fw : frameworks) {
    std::map<std::string, std::vector<const CheckResult*>> controls;
    for (const auto& r : report.results) {
      if (const auto it = r.check.controls.find(fw); it != r.check.controls.end()) {
        for (const auto& c : it->second) {
          controls[c].push_back(&r);
        }
      }
    }
    if (controls.empty()) {
      continue;
    }
    std::vector<std::string> ids;
    for (const auto& [id, list] : controls) {
      ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) { return natural_key(a) < natural_key(b); });
    json rows = json::array();
    for (const auto& id : ids) {
      const auto& list = controls[id];
      json cells = json::array();
      std::string worst = "skip";
      for (const auto& s : statuses) {
        std::size_t n = 0;
        for (const auto* r : list) {
          n += to_string(r->status) == s ? 1 : 0;
        }
        cells.push_back({{"status", s}, {"count", n}, {"nonzero", n > 0}});
        if (n > 0 && status_rank(s) < status_rank(worst)) {
          worst = s;
        }
      }
      json checks = json::array();
      for (const auto* r : list) {
        checks.push_back({{"id", r->check.id}, {"status", to_string(r->status)}});
      }
      rows.push_back({{"control", id}, {"title", control_title(fw, id)}, {"cells", cells}, {"checks", checks}, {"worst", worst}});
    }
    data["matrices"].push_back({{"framework", fw}, {"rows", rows}});
  }

  // Every finding.
  json findings = json::array();
  for (const auto& r : report.results) {
    json controls = json::array();
    for (const auto& fw : frameworks) {
      if (const auto it = r.check.controls.find(fw); it != r.check.controls.end()) {
        for (const auto& c : it->second) {
          controls.push_back(fw + ":" + c);
        }
      }
    }
    std::string controls_text;
    for (const auto& c : controls) {
      controls_text += (controls_text.empty() ? "" : " ") + c.get<std::string>();
    }
    for (const auto& f : r.findings) {
      const std::string status = to_string(f.status);
      json j{{"check", r.check.id},
             {"title", r.check.title},
             {"severity", to_string(r.check.severity)},
             {"severity_rank", static_cast<int>(r.check.severity)},
             {"status", status},
             {"status_rank", status_rank(status)},
             {"shown_status", f.waived ? "waived" : status},
             {"resource", f.resource},
             {"reason", f.reason},
             {"location", location(f)},
             {"remediation", is_problem(f.status) ? r.check.remediation : ""},
             {"controls", controls_text},
             {"waived", f.waived},
             {"waiver", f.waiver},
             {"gating", f.gating},
             {"baseline_state", f.baseline_state}};
      findings.push_back(j);
    }
  }
  // Problems first, then by severity (critical first), then by check id.
  std::stable_sort(findings.begin(), findings.end(), [](const json& a, const json& b) {
    return std::make_tuple(a["status_rank"].get<int>(), -a["severity_rank"].get<int>(), a["check"].get<std::string>()) <
           std::make_tuple(b["status_rank"].get<int>(), -b["severity_rank"].get<int>(), b["check"].get<std::string>());
  });
  data["findings"] = findings;
  data["findings_total"] = findings.size();
  data["has_baseline"] = !report.baseline.empty();
  if (!report.baseline.empty()) {
    const auto counts = baseline_counts(report);
    json fixed = json::array();
    for (const auto& f : report.fixed) {
      fixed.push_back({{"check", f.check}, {"resource", f.resource}, {"reason", f.reason},
                       {"location", f.file.empty() ? "" : f.line ? fmt::format("{}:{}", f.file, *f.line) : f.file}});
    }
    data["baseline"] = {{"file", report.baseline}, {"new", counts.added}, {"unchanged", counts.unchanged},
                        {"updated", counts.updated}, {"fixed", counts.fixed}, {"fixed_findings", fixed},
                        {"has_fixed", !fixed.empty()}};
  }
  json problems = json::array();
  for (const auto& p : report.waiver_problems) {
    problems.push_back({{"file", p.file}, {"line", p.line}, {"message", p.message}});
  }
  data["waiver_problems"] = problems;
  data["has_waiver_problems"] = !problems.empty();
  return data;
}

Result<std::string> render_html(const Report& report, const render::TemplateDirs& dirs)
{
  const auto path = TRY(dirs.find("check-report.html.mustache"));
  return render::render_file(path, html_report_data(report), render::Escape::html);
}

} // namespace complycli::checks
