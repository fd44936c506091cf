#include "checks/results_json.hpp"

#include "checks/baseline.hpp"

namespace complycli::checks {

using nlohmann::ordered_json;

ResultsEnvelope results_envelope(const Report& report)
{
  ResultsEnvelope e;
  e.before["schema_version"] = 1;
  e.before["tool"] = std::string("complycli ") + COMPLYCLI_VERSION;
  e.before["generated"] = report.generated;
  e.before["today"] = report.today;
  if (report.profile) {
    e.before["profile"] = {{"path", report.profile->path}, {"sha256", report.profile->sha256}};
  } else {
    e.before["profile"] = nullptr;
  }
  e.before["inputs"] = report.inputs;
  e.before["fail_on"] = to_string(report.fail_on);

  auto problems = ordered_json::array();
  for (const auto& p : report.waiver_problems) {
    problems.push_back({{"file", p.file}, {"line", p.line}, {"message", p.message}});
  }
  e.after["waiver_problems"] = problems;
  const auto s = summarise(report);
  e.after["summary"] = {{"pass", s.pass}, {"fail", s.fail}, {"skip", s.skip}, {"error", s.error},
                        {"unknown", s.unknown}, {"waived", s.waived}, {"gating", s.gating}};
  if (!report.baseline.empty()) {
    const auto counts = baseline_counts(report);
    auto fixed = ordered_json::array();
    for (const auto& f : report.fixed) {
      fixed.push_back({{"check", f.check},
                       {"resource", f.resource},
                       {"status", f.status},
                       {"reason", f.reason},
                       {"file", f.file},
                       {"line", f.line ? ordered_json(*f.line) : ordered_json(nullptr)},
                       {"fingerprint", f.fingerprint}});
    }
    e.after["baseline"] = {{"file", report.baseline},
                           {"new", counts.added},
                           {"unchanged", counts.unchanged},
                           {"updated", counts.updated},
                           {"fixed", counts.fixed},
                           {"fixed_findings", fixed}};
  }
  return e;
}

ordered_json results_check(const Report& report, std::size_t index)
{
  const auto& r = report.results.at(index);
  ordered_json c;
  c["id"] = r.check.id;
  c["title"] = r.check.title;
  c["severity"] = to_string(r.check.severity);
  c["status"] = to_string(r.status);
  auto controls = ordered_json::object();
  for (const auto& fw : frameworks) {
    if (auto it = r.check.controls.find(fw); it != r.check.controls.end()) {
      controls[fw] = it->second;
    }
  }
  c["controls"] = controls;
  c["waived"] = r.waived;
  auto findings = ordered_json::array();
  for (const auto& f : r.findings) {
    ordered_json j;
    j["resource"] = f.resource;
    j["status"] = to_string(f.status);
    j["reason"] = f.reason;
    j["file"] = f.file;
    j["line"] = f.line ? ordered_json(*f.line) : ordered_json(nullptr);
    j["waived"] = f.waived;
    if (f.waived) {
      j["waiver"] = f.waiver;
    }
    j["gating"] = f.gating;
    if (is_problem(f.status)) {
      j["fingerprint"] = fingerprint(r.check.id, f.resource, f.file, f.reason);
      if (!report.baseline.empty()) {
        j["baseline_state"] = f.baseline_state;
      }
    }
    findings.push_back(std::move(j));
  }
  c["findings"] = std::move(findings);
  return c;
}

ordered_json results_json(const Report& report)
{
  auto e = results_envelope(report);
  ordered_json out = std::move(e.before);
  auto list = ordered_json::array();
  for (std::size_t i = 0; i < report.results.size(); ++i) {
    list.push_back(results_check(report, i));
  }
  out["checks"] = std::move(list);
  for (auto& [key, value] : e.after.items()) {
    out[key] = std::move(value);
  }
  return out;
}

namespace {

// `value` dumped with an indent of 2 as it would be when nested `depth` levels deep: every line after
// the first moves right by 2 * depth spaces (line breaks inside strings are escaped, so each '\n'
// of the dump is one of its own).
std::string nested_dump(const ordered_json& value, int depth)
{
  const std::string text = value.dump(2);
  const std::string margin = "\n" + std::string(2 * static_cast<std::size_t>(depth), ' ');
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    out.append(text, start, end - start);
    out += margin;
    start = end + 1;
  }
  out.append(text, start, std::string::npos);
  return out;
}

} // namespace

void write_results_json(const Report& report, const ordered_json& extra,
                        const std::function<void(std::string_view)>& out)
{
  const auto e = results_envelope(report);
  bool first = true;
  const auto member = [&](const std::string& key) {
    out(first ? "{\n  " : ",\n  ");
    first = false;
    out(ordered_json(key).dump());
    out(": ");
  };
  for (const auto& [key, value] : e.before.items()) {
    member(key);
    out(nested_dump(value, 1));
  }
  member("checks");
  if (report.results.empty()) {
    out("[]");
  } else {
    for (std::size_t i = 0; i < report.results.size(); ++i) {
      out(i == 0 ? "[\n    " : ",\n    ");
      out(nested_dump(results_check(report, i), 2));
    }
    out("\n  ]");
  }
  for (const auto* members : {&e.after, &extra}) {
    if (members->is_object()) {
      for (const auto& [key, value] : members->items()) {
        member(key);
        out(nested_dump(value, 1));
      }
    }
  }
  out("\n}\n");
}

} // namespace complycli::checks
