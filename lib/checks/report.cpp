// The report formats: a table grouped by control for people, Markdown, SARIF 2.1.0 for code
// scanning, JUnit XML for CI. All return strings; the CLI prints or writes them.

#include "checks/baseline.hpp"
#include "checks/engine.hpp"
#include "core/output.hpp"
#include "evidence/evidence.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace complycli::checks {

namespace {

std::string location(const Finding& f)
{
  if (f.file.empty()) {
    return "";
  }
  return f.line ? fmt::format("{}:{}", f.file, *f.line) : f.file;
}

core::Colour status_colour(Status s)
{
  switch (s) {
  case Status::pass: return core::Colour::green;
  case Status::fail: return core::Colour::red;
  case Status::error: return core::Colour::red;
  case Status::skip: return core::Colour::dim;
  case Status::unknown: return core::Colour::yellow;
  }
  return core::Colour::none;
}

std::string upper(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), ::toupper);
  return text;
}

// Controls of `framework` in a natural order (CC6.10 after CC6.9), each with its checks' indexes.
std::vector<std::pair<std::string, std::vector<std::size_t>>> by_control(const Report& report, const std::string& framework)
{
  std::map<std::string, std::vector<std::size_t>> map;
  for (std::size_t i = 0; i < report.results.size(); ++i) {
    if (auto it = report.results[i].check.controls.find(framework); it != report.results[i].check.controls.end()) {
      for (const auto& c : it->second) {
        if (!report.control.empty() && c != report.control) {
          continue;
        }
        map[c].push_back(i);
      }
    }
  }
  std::vector<std::pair<std::string, std::vector<std::size_t>>> out(map.begin(), map.end());
  auto key = [](const std::string& id) {
    std::vector<std::string> parts;
    std::string number;
    std::string out_key;
    for (const char c : id) {
      if (std::isdigit(static_cast<unsigned char>(c))) {
        number += c;
      } else {
        if (!number.empty()) {
          out_key += fmt::format("{:0>8}", number);
          number.clear();
        }
        out_key += c;
      }
    }
    if (!number.empty()) {
      out_key += fmt::format("{:0>8}", number);
    }
    return out_key;
  };
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return key(a.first) < key(b.first); });
  return out;
}

std::string summary_line(const Report& report)
{
  const auto s = summarise(report);
  return fmt::format("{} checks: {} pass, {} fail, {} skip, {} error, {} unknown; {} waived finding{}; {} finding{} gate (--fail-on {})",
                     report.results.size(), s.pass, s.fail, s.skip, s.error, s.unknown, s.waived, s.waived == 1 ? "" : "s",
                     s.gating, s.gating == 1 ? "" : "s", to_string(report.fail_on));
}

std::string xml_escape(std::string_view text)
{
  std::string out;
  for (const char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default:
      // XML 1.0 forbids most control characters.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
        out += ' ';
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string md_escape(std::string_view text)
{
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace

std::string render_table(const Report& report, bool colour)
{
  const std::string framework = report.framework.empty() ? "soc2" : report.framework;
  std::string out;
  std::set<std::size_t> mapped;
  for (const auto& [control, indexes] : by_control(report, framework)) {
    const auto title = control_title(framework, control);
    out += core::paint(fmt::format("{} {}{}", framework, control, title.empty() ? "" : "  " + title), core::Colour::bold, colour) + "\n";
    for (const auto i : indexes) {
      mapped.insert(i);
      const auto& r = report.results[i];
      const std::string status = fmt::format("{:<5}", upper(to_string(r.status)));
      out += fmt::format("  {}  {:<36} {:<8} {}\n", core::paint(status, status_colour(r.status), colour), r.check.id,
                         to_string(r.check.severity), r.check.title);
    }
    out += "\n";
  }
  bool header = false;
  for (std::size_t i = 0; i < report.results.size(); ++i) {
    if (mapped.count(i)) {
      continue;
    }
    if (!header) {
      out += core::paint(fmt::format("(checks not mapped to {})", framework), core::Colour::bold, colour) + "\n";
      header = true;
    }
    const auto& r = report.results[i];
    const std::string status = fmt::format("{:<5}", upper(to_string(r.status)));
    out += fmt::format("  {}  {:<36} {:<8} {}\n", core::paint(status, status_colour(r.status), colour), r.check.id,
                       to_string(r.check.severity), r.check.title);
  }
  if (header) {
    out += "\n";
  }
  // Every finding that is not a pass, once per check.
  std::string details;
  for (const auto& r : report.results) {
    for (const auto& f : r.findings) {
      if (f.status == Status::pass || f.status == Status::skip) {
        continue;
      }
      std::string tag = f.waived ? "WAIVED" : upper(to_string(f.status));
      if (f.gating) {
        tag += " (gates)";
      }
      if (!f.baseline_state.empty()) {
        tag += " [" + f.baseline_state + "]";
      }
      details += fmt::format("  {} {}  {}\n    {}\n", core::paint(tag, f.waived ? core::Colour::yellow : core::Colour::red, colour),
                             r.check.id, f.resource, f.reason);
      if (!location(f).empty()) {
        details += fmt::format("    at {}\n", location(f));
      }
      if (f.waived) {
        details += fmt::format("    waived: {}\n", f.waiver);
      }
    }
  }
  if (!details.empty()) {
    out += core::paint("Findings", core::Colour::bold, colour) + "\n" + details + "\n";
  }
  if (!report.waiver_problems.empty()) {
    out += core::paint("Waivers that do not apply", core::Colour::bold, colour) + "\n";
    for (const auto& p : report.waiver_problems) {
      out += fmt::format("  {}:{}: {}\n", p.file, p.line, p.message);
    }
    out += "\n";
  }
  const auto s = summarise(report);
  if (s.gating > 0) {
    out += core::paint(fmt::format("Gating: {} finding{} at or above {} severity fail the run:", s.gating,
                                   s.gating == 1 ? "" : "s", to_string(report.fail_on)),
                       core::Colour::red, colour) + "\n";
    for (const auto& r : report.results) {
      for (const auto& f : r.findings) {
        if (f.gating) {
          out += fmt::format("  {} [{}] {}{}\n", r.check.id, to_string(r.check.severity), f.resource,
                             location(f).empty() ? "" : " (" + location(f) + ")");
        }
      }
    }
  }
  out += summary_line(report) + "\n";
  return out;
}

std::string render_markdown(const Report& report)
{
  const std::string framework = report.framework.empty() ? "soc2" : report.framework;
  std::string out = "# complycli check report\n\n";
  out += fmt::format("Generated {} (today: {}).", report.generated, report.today);
  if (report.profile) {
    out += fmt::format(" Profile: `{}` (sha256 `{}`).", report.profile->path, report.profile->sha256);
  }
  out += "\n\n" + summary_line(report) + "\n\n";
  out += fmt::format("## By {} control\n\n| Control | Check | Severity | Status |\n|---|---|---|---|\n", framework);
  for (const auto& [control, indexes] : by_control(report, framework)) {
    for (const auto i : indexes) {
      const auto& r = report.results[i];
      out += fmt::format("| {} | `{}` {} | {} | {} |\n", control, r.check.id, md_escape(r.check.title),
                         to_string(r.check.severity), to_string(r.status));
    }
  }
  out += "\n## Findings\n\n";
  bool any = false;
  for (const auto& r : report.results) {
    for (const auto& f : r.findings) {
      if (f.status == Status::pass || f.status == Status::skip) {
        continue;
      }
      any = true;
      out += fmt::format("- **{}** `{}` {}: {}{}{}{}\n", f.waived ? "waived" : to_string(f.status), r.check.id,
                         md_escape(f.resource), md_escape(f.reason),
                         location(f).empty() ? "" : " (`" + location(f) + "`)", f.gating ? " — gates the build" : "",
                         f.waived ? " — " + md_escape(f.waiver) : "");
    }
  }
  if (!any) {
    out += "No failing findings.\n";
  }
  if (!report.waiver_problems.empty()) {
    out += "\n## Waivers that do not apply\n\n";
    for (const auto& p : report.waiver_problems) {
      out += fmt::format("- `{}:{}`: {}\n", p.file, p.line, md_escape(p.message));
    }
  }
  return out;
}

std::string render_sarif(const Report& report)
{
  using json = nlohmann::ordered_json;
  auto level = [](Severity s) {
    return s == Severity::low ? "note" : s == Severity::medium ? "warning" : "error";
  };
  auto score = [](Severity s) {
    return s == Severity::low ? "3.0" : s == Severity::medium ? "5.5" : s == Severity::high ? "8.0" : "9.5";
  };
  json rules = json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const auto& r : report.results) {
    rule_index[r.check.id] = rules.size();
    json tags = json::array({"security", "compliance"});
    for (const auto& [fw, ids] : r.check.controls) {
      for (const auto& id : ids) {
        tags.push_back(fw + ":" + id);
      }
    }
    rules.push_back(json{
        {"id", r.check.id},
        {"name", r.check.id},
        {"shortDescription", {{"text", r.check.title}}},
        {"fullDescription", {{"text", r.check.rationale}}},
        {"help", {{"text", r.check.remediation}, {"markdown", "**Remediation:** " + r.check.remediation}}},
        {"defaultConfiguration", {{"level", level(r.check.severity)}}},
        {"properties", {{"tags", tags}, {"security-severity", score(r.check.severity)}, {"precision", "high"}}},
    });
  }
  json results = json::array();
  for (const auto& r : report.results) {
    for (const auto& f : r.findings) {
      if (f.status != Status::fail && f.status != Status::error && f.status != Status::unknown) {
        continue;
      }
      json result{
          {"ruleId", r.check.id},
          {"ruleIndex", rule_index[r.check.id]},
          {"level", f.status == Status::error || f.status == Status::unknown ? "error" : level(r.check.severity)},
          {"message", {{"text", fmt::format("{}: {}", f.resource, f.reason)}}},
      };
      if (!f.file.empty()) {
        json physical{{"artifactLocation", {{"uri", f.file.find("://") != std::string::npos || f.file[0] != '/' ? f.file : "file://" + f.file}}}};
        if (f.line && *f.line > 0) {
          physical["region"] = {{"startLine", *f.line}};
        }
        result["locations"] = json::array({{{"physicalLocation", physical}}});
      }
      result["partialFingerprints"] = {
          {"complycliFinding/v1", evidence::sha256_hex(r.check.id + "\n" + f.resource + "\n" + f.file)},
          {"complycliFinding/v2", fingerprint(r.check.id, f.resource, f.file, f.reason)}};
      if (!f.baseline_state.empty()) {
        result["baselineState"] = f.baseline_state;
      }
      if (f.waived) {
        result["suppressions"] = json::array({{{"kind", "external"}, {"status", "accepted"}, {"justification", f.waiver}}});
      }
      results.push_back(result);
    }
  }
  // The baseline's findings this run no longer has: SARIF's "absent" state.
  for (const auto& f : report.fixed) {
    json result{{"ruleId", f.check}, {"level", "none"}, {"message", {{"text", fmt::format("fixed: {}: {}", f.resource, f.reason)}}}};
    if (const auto it = rule_index.find(f.check); it != rule_index.end()) {
      result["ruleIndex"] = it->second;
    }
    result["partialFingerprints"] = {{"complycliFinding/v2", f.fingerprint}};
    result["baselineState"] = "absent";
    results.push_back(result);
  }
  json sarif{
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", json::array({{
                   {"tool", {{"driver", {{"name", "complycli"}, {"version", COMPLYCLI_VERSION},
                                         {"informationUri", "https://github.com/complycli/complycli"},
                                         {"rules", rules}}}}},
                   {"results", results},
                   {"columnKind", "unicodeCodePoints"},
               }})},
  };
  return sarif.dump(2) + "\n";
}

std::string render_junit(const Report& report)
{
  std::size_t failures = 0, errors = 0, skipped = 0;
  for (const auto& r : report.results) {
    failures += r.status == Status::fail ? 1 : 0;
    errors += r.status == Status::error || r.status == Status::unknown ? 1 : 0;
    skipped += r.status == Status::skip ? 1 : 0;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"complycli\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
                     report.results.size(), failures, errors, skipped);
  out += fmt::format("  <testsuite name=\"complycli check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" timestamp=\"{}\">\n",
                     report.results.size(), failures, errors, skipped, xml_escape(report.generated));
  for (const auto& r : report.results) {
    std::string classname = "complycli";
    if (auto it = r.check.controls.find("soc2"); it != r.check.controls.end() && !it->second.empty()) {
      classname += ".soc2." + it->second.front();
    }
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}: {}\"", xml_escape(classname), xml_escape(r.check.id),
                       xml_escape(r.check.title));
    std::string body;
    for (const auto& f : r.findings) {
      if (f.status == Status::pass || f.status == Status::skip) {
        continue;
      }
      body += fmt::format("{}{} {}: {}{}\n", f.waived ? "[waived] " : "", to_string(f.status), f.resource, f.reason,
                          location(f).empty() ? "" : " (" + location(f) + ")");
    }
    if (r.status == Status::fail) {
      out += fmt::format(">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n", to_string(r.check.severity),
                         xml_escape(r.check.title), xml_escape(body));
    } else if (r.status == Status::error || r.status == Status::unknown) {
      out += fmt::format(">\n      <error type=\"error\" message=\"{}\">{}</error>\n    </testcase>\n", xml_escape(r.check.title),
                         xml_escape(body));
    } else if (r.status == Status::skip) {
      out += ">\n      <skipped message=\"no evidence for this check\"/>\n    </testcase>\n";
    } else if (!body.empty()) {
      out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(body));
    } else {
      out += "/>\n";
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

} // namespace complycli::checks
