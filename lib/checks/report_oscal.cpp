#include "checks/report_oscal.hpp"

#include "checks/baseline.hpp"
#include "evidence/evidence.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace complycli::checks {

namespace {

using ojson = nlohmann::ordered_json;

ojson prop(const std::string& name, const std::string& value)
{
  return ojson{{"name", name}, {"ns", oscal_namespace}, {"value", value}};
}

// OSCAL strings must not start or end with white space and must not be empty.
std::string trimmed(const std::string& text, const std::string& fallback)
{
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return fallback;
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

const char* framework_title(const std::string& framework)
{
  if (framework == "soc2") {
    return "AICPA SOC 2 Trust Services Criteria (2017, revised points of focus 2022)";
  }
  if (framework == "iso27001_2022") {
    return "ISO/IEC 27001:2022 Annex A";
  }
  if (framework == "gdpr") {
    return "EU General Data Protection Regulation (2016/679)";
  }
  if (framework == "hipaa") {
    return "HIPAA Security Rule (45 CFR Part 164 Subpart C)";
  }
  return "custom framework";
}

ojson metadata(const std::string& title, const std::string& generated)
{
  return ojson{{"title", title},
               {"last-modified", generated},
               {"version", COMPLYCLI_VERSION},
               {"oscal-version", oscal_version},
               {"props", ojson::array({prop("generator", std::string("complycli ") + COMPLYCLI_VERSION)})}};
}

std::string location(const Finding& f)
{
  if (f.file.empty()) {
    return "";
  }
  return f.line ? fmt::format("{}:{}", f.file, *f.line) : f.file;
}

} // namespace

std::string oscal_control_id(const std::string& framework, const std::string& control)
{
  std::string out = framework + "-";
  for (const char c : control) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (c == '(' || c == '.' || c == '-' || c == '_') {
      if (!out.empty() && out.back() != '.' && out.back() != '-') {
        out += c == '(' ? '.' : c;
      }
    } else if (c != ')') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  return out;
}

std::string oscal_uuid(const std::string& seed)
{
  std::string hex = evidence::sha256_hex("complycli-oscal-uuid\n" + seed).substr(0, 32);
  hex[12] = '5';
  const int variant = (std::isdigit(static_cast<unsigned char>(hex[16])) ? hex[16] - '0' : hex[16] - 'a' + 10) & 3;
  hex[16] = "89ab"[variant];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

ojson to_oscal_assessment_results(const Report& report)
{
  std::string seed = report.generated;
  for (const auto& input : report.inputs) {
    seed += "\n" + input;
  }
  const auto document_uuid = oscal_uuid("assessment-results\n" + seed);

  // Observations: one per finding that is not a skip, with its evidence.
  ojson observations = ojson::array();
  std::map<std::string, std::vector<std::string>> observations_of_check;
  for (const auto& r : report.results) {
    for (std::size_t i = 0; i < r.findings.size(); ++i) {
      const auto& f = r.findings[i];
      if (f.status == Status::skip) {
        continue;
      }
      const auto uuid = oscal_uuid(fmt::format("{}\nobservation\n{}\n{}\n{}", document_uuid, r.check.id, i,
                                               fingerprint(r.check.id, f.resource, f.file, f.reason)));
      observations_of_check[r.check.id].push_back(uuid);
      ojson props = ojson::array({prop("check", r.check.id), prop("status", to_string(f.status)),
                                  prop("severity", to_string(r.check.severity))});
      if (is_problem(f.status)) {
        props.push_back(prop("fingerprint", fingerprint(r.check.id, f.resource, f.file, f.reason)));
      }
      if (f.waived) {
        props.push_back(prop("waived", "true"));
      }
      if (!f.baseline_state.empty()) {
        props.push_back(prop("baseline-state", f.baseline_state));
      }
      ojson o{{"uuid", uuid},
              {"title", trimmed(fmt::format("{}: {}", r.check.id, f.resource), r.check.id)},
              {"description", trimmed(fmt::format("{}: {}", to_string(f.status), f.reason), to_string(f.status))},
              {"props", props},
              {"methods", ojson::array({"TEST"})},
              {"types", ojson::array({"finding"})}};
      if (!f.file.empty()) {
        o["relevant-evidence"] = ojson::array({{{"description", trimmed(location(f), "unknown")}}});
      }
      o["collected"] = report.generated;
      std::string remarks;
      if (is_problem(f.status)) {
        remarks = "Remediation: " + r.check.remediation;
      }
      if (f.waived) {
        remarks += (remarks.empty() ? "" : "\n\n") + ("Waived: " + f.waiver);
      }
      if (!remarks.empty()) {
        o["remarks"] = trimmed(remarks, "none");
      }
      observations.push_back(o);
    }
  }

  // Findings: one per control (of every framework) whose checks had evidence; satisfied when none fails.
  ojson findings = ojson::array();
  ojson selections = ojson::array();
  for (const auto& fw : frameworks) {
    std::map<std::string, std::vector<const CheckResult*>> by_control;
    for (const auto& r : report.results) {
      if (const auto it = r.check.controls.find(fw); it != r.check.controls.end()) {
        for (const auto& c : it->second) {
          by_control[c].push_back(&r);
        }
      }
    }
    if (by_control.empty()) {
      continue;
    }
    ojson include = ojson::array();
    for (const auto& [control, list] : by_control) {
      const auto control_id = oscal_control_id(fw, control);
      include.push_back({{"control-id", control_id}});
      ojson related = ojson::array();
      bool satisfied = true, evidence = false;
      std::string checks_text;
      for (const auto* r : list) {
        if (r->status != Status::skip) {
          evidence = true;
        }
        satisfied = satisfied && !(is_problem(r->status));
        checks_text += fmt::format("{}{} ({})", checks_text.empty() ? "" : ", ", r->check.id, to_string(r->status));
        for (const auto& uuid : observations_of_check[r->check.id]) {
          related.push_back({{"observation-uuid", uuid}});
        }
      }
      if (!evidence) {
        continue;
      }
      const auto title = control_title(fw, control);
      ojson finding{{"uuid", oscal_uuid(fmt::format("{}\nfinding\n{}", document_uuid, control_id))},
                    {"title", trimmed(fmt::format("{} {}{}", fw, control, title.empty() ? "" : ": " + title), control_id)},
                    {"description", fmt::format("{} {} is {} by complycli's checks: {}.", fw, control,
                                                satisfied ? "satisfied" : "not satisfied", checks_text)},
                    {"props", ojson::array({prop("framework", fw), prop("control", control)})},
                    {"target", {{"type", "objective-id"},
                                {"target-id", control_id},
                                {"status", {{"state", satisfied ? "satisfied" : "not-satisfied"}}}}}};
      if (!related.empty()) {
        finding["related-observations"] = related;
      }
      findings.push_back(finding);
    }
    selections.push_back({{"description", framework_title(fw)},
                          {"props", ojson::array({prop("framework", fw)})},
                          {"include-controls", include}});
  }

  ojson result{{"uuid", oscal_uuid("result\n" + document_uuid)},
               {"title", "complycli check run"},
               {"description", fmt::format("complycli evaluated {} checks over {} inputs on {}; findings at or above {} "
                                           "severity gate the run.",
                                           report.results.size(), report.inputs.size(), report.today,
                                           to_string(report.fail_on))},
               {"start", report.generated},
               {"end", report.generated}};
  if (selections.empty()) {
    selections.push_back({{"description", "no framework controls"}, {"include-all", ojson::object()}});
  }
  result["reviewed-controls"] = {{"control-selections", selections}};
  if (!observations.empty()) {
    result["observations"] = observations;
  }
  if (!findings.empty()) {
    result["findings"] = findings;
  }
  ojson doc{{"uuid", document_uuid},
            {"metadata", metadata("complycli assessment results", report.generated)},
            {"import-ap", {{"href", "#"},
                           {"remarks", "No separate assessment plan: complycli evaluated its check library "
                                       "(`complycli checks list`) over the inputs listed in the result."}}},
            {"results", ojson::array({result})}};
  return ojson{{"assessment-results", doc}};
}

ojson to_oscal_component_definition(const std::vector<Check>& checks, const std::vector<std::string>& frameworks_wanted,
                                    const std::string& generated)
{
  ojson implementations = ojson::array();
  for (const auto& fw : frameworks) {
    if (!frameworks_wanted.empty() &&
        std::find(frameworks_wanted.begin(), frameworks_wanted.end(), fw) == frameworks_wanted.end()) {
      continue;
    }
    std::map<std::string, std::vector<const Check*>> by_control;
    for (const auto& c : checks) {
      if (const auto it = c.controls.find(fw); it != c.controls.end()) {
        for (const auto& id : it->second) {
          by_control[id].push_back(&c);
        }
      }
    }
    if (by_control.empty()) {
      continue;
    }
    ojson requirements = ojson::array();
    for (const auto& [control, list] : by_control) {
      const auto control_id = oscal_control_id(fw, control);
      ojson props = ojson::array({prop("framework", fw), prop("control", control)});
      std::string text;
      for (const auto* c : list) {
        props.push_back(prop("check", c->id));
        text += fmt::format("{}{} ({}, {})", text.empty() ? "" : "; ", c->id, c->title, to_string(c->severity));
      }
      requirements.push_back({{"uuid", oscal_uuid("implemented-requirement\n" + control_id)},
                              {"control-id", control_id},
                              {"description", "Evidenced by complycli checks: " + text + "."},
                              {"props", props}});
    }
    implementations.push_back({{"uuid", oscal_uuid("control-implementation\n" + fw)},
                               {"source", std::string(oscal_namespace) + "/frameworks/" + fw},
                               {"description", fmt::format("{} controls evidenced by complycli's check library", framework_title(fw))},
                               {"props", ojson::array({prop("framework", fw)})},
                               {"implemented-requirements", requirements}});
  }
  ojson component{{"uuid", oscal_uuid("component\ncomplycli")},
                  {"type", "software"},
                  {"title", "complycli check library"},
                  {"description", fmt::format("The {} checks complycli evaluates over configuration files, the company "
                                              "profile and live TLS endpoints.",
                                              checks.size())},
                  {"props", ojson::array({prop("checks", std::to_string(checks.size()))})}};
  if (!implementations.empty()) {
    component["control-implementations"] = implementations;
  }
  ojson doc{{"uuid", oscal_uuid("component-definition\n" + generated)},
            {"metadata", metadata("complycli control mapping", generated)},
            {"components", ojson::array({component})}};
  return ojson{{"component-definition", doc}};
}

} // namespace complycli::checks
