// complycli check / checks / controls / query: evaluate the check library over configuration files,
// the company profile and live TLS probes; list checks and the controls they evidence; ask ad-hoc SQL.

#include "commands.hpp"

#include "checks/baseline.hpp"
#include "attest/manifest.hpp"
#include "attest/results.hpp"
#include "auditlog/auditlog.hpp"
#include "checks/check.hpp"
#include "checks/engine.hpp"
#include "checks/results_json.hpp"
#include "checks/report_html.hpp"
#include "checks/report_oscal.hpp"
#include "evidence/evidence.hpp"
#include "profile/profile.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <future>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

namespace complycli::cli {

namespace {

namespace fs = std::filesystem;

struct EvidenceOptions {
  std::vector<std::string> paths;
  std::string profile;
  std::vector<std::string> urls;
  std::string date;
  std::string root;
};

struct CheckOptions {
  EvidenceOptions evidence;
  std::string format = "table";
  std::string output = "-";
  std::string fail_on = "high";
  std::string framework;
  std::string control;
  std::string waivers;
  std::vector<std::string> check_dirs;
  std::string results;
  std::string baseline;
  bool fail_on_new = false;
  bool force = false;
};

void add_evidence_options(CLI::App* sub, EvidenceOptions& options)
{
  sub->add_option("path", options.paths, "Files and folders to read (configs, Terraform plans, saved headers, profiles)");
  sub->add_option("--profile", options.profile, "The company profile (default: the workspace's, if any)");
  sub->add_option("--url", options.urls, "Probe https://HOST[:PORT] live (TLS versions, cipher, certificate, headers)");
  sub->add_option("--date", options.date, "Today's date for age checks, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else the clock)");
  sub->add_option("--root", options.root,
                  "The server's file system (a copied /etc tree, an unpacked image; / for this host): absolute include "
                  "paths are read inside it. Without it they are read only from the tree being checked, never from "
                  "this machine. With no PATH, its etc/nginx, etc/apache2, etc/httpd, etc/ssh, etc/postgresql");
}

Result<evidence::Evidence> gather(const EvidenceOptions& options, const Context& ctx, const std::string& today)
{
  evidence::Sources sources;
  for (const auto& p : options.paths) {
    sources.paths.emplace_back(p);
  }
  sources.urls = options.urls;
  sources.today = today;
  if (!options.root.empty()) {
    std::error_code ec;
    if (!fs::is_directory(options.root, ec)) {
      return fail(Errc::usage, "--root {}: not a folder", options.root);
    }
    sources.root = fs::path(options.root).lexically_normal();
  }
  sources.generated = util::now_rfc3339();
  if (!options.profile.empty()) {
    sources.profile = options.profile;
    sources.other_profiles = evidence::Sources::OtherProfiles::ignore;
  } else if (auto workspace = ctx.workspace()) {
    // The workspace's profile, when it names one.
    if (auto profile = profile::workspace_profile(*workspace)) {
      sources.profile = *profile;
    } else if (profile.error().code != Errc::usage) {
      return std::unexpected(profile.error());
    }
  }
  if (auto workspace = ctx.workspace()) {
    // The workspace's audit log, when there is one: the AI worker checks read its approvals.
    std::error_code ec;
    if (fs::exists(workspace->audit_db_path(), ec)) {
      sources.audit_db = workspace->audit_db_path();
      sources.audit_key = workspace->log_key_path();
    }
  }
  if (sources.paths.empty() && sources.urls.empty() && !sources.profile && !sources.root) {
    return fail_with_hint(Errc::usage, "try `complycli check examples/northwind-legal`",
                          "nothing to check: give a PATH, --url or --profile");
  }
  return evidence::collect(sources);
}

Result<std::vector<checks::Check>> load_all_checks(const std::vector<std::string>& extra)
{
  std::vector<fs::path> dirs{checks::builtin_checks_dir()};
  for (const auto& d : extra) {
    dirs.emplace_back(d);
  }
  return checks::load_checks(dirs);
}

Result<void> check_framework(const std::string& framework)
{
  if (!framework.empty() &&
      std::find(checks::frameworks.begin(), checks::frameworks.end(), framework) == checks::frameworks.end()) {
    return fail(Errc::usage, "--framework must be one of soc2, iso27001_2022, gdpr, hipaa, eu_ai_act, not {}", framework);
  }
  return {};
}

// The signature of the results of `report` by the workspace's log key, bound to audit entry `seq`
// (which recorded the run) and to the results' canonical digest.
Result<nlohmann::ordered_json> results_signature(const core::Workspace& workspace, int64_t seq, const std::string& today,
                                                 const std::string& library, const std::string& results_sha256,
                                                 const checks::Report& report)
{
  auto log = TRY(auditlog::AuditLog::open(workspace, util::Access::read_only));
  const auto entry = TRY(log.get(seq));
  if (!entry) {
    return fail(Errc::internal, "audit entry {} that recorded the run is missing", seq);
  }
  const auto key = TRY(attest::load_log_key(workspace.log_key_path()));
  attest::Binding binding;
  binding.results_sha256 = results_sha256;
  binding.profile_sha256 = report.profile ? report.profile->sha256 : "none";
  binding.evaluated = today;
  binding.checks_sha256 = library;
  binding.audit_seq = seq;
  binding.audit_hash = util::to_hex(entry->hash);
  return nlohmann::ordered_json{{attest::signature_member, attest::results_signature(binding, key)}};
}

Result<void> run_check(const CheckOptions& options, Context& ctx)
{
  const auto fail_on = checks::parse_severity(options.fail_on);
  if (!fail_on) {
    return fail(Errc::usage, "--fail-on must be low, medium, high or critical, not {}", options.fail_on);
  }
  static const std::set<std::string> formats = {"table", "text", "json", "sarif", "junit", "markdown", "html", "oscal"};
  if (!formats.count(options.format)) {
    return fail(Errc::usage, "--format must be table, json, sarif, junit, markdown, html or oscal, not {}", options.format);
  }
  TRY_VOID(check_framework(options.framework));
  if (!options.control.empty() && options.framework.empty()) {
    return fail(Errc::usage, "--control needs --framework");
  }
  const auto today = TRY(checks::resolve_today(options.evidence.date));
  auto all = TRY(load_all_checks(options.check_dirs));
  std::vector<checks::Check> selected;
  for (auto& c : all) {
    if (options.framework.empty() || c.maps_to(options.framework, options.control)) {
      selected.push_back(std::move(c));
    }
  }
  if (selected.empty()) {
    return fail(Errc::usage, "no check maps to {} {}", options.framework, options.control);
  }
  if (options.fail_on_new && options.baseline.empty()) {
    return fail_with_hint(Errc::usage, "save a run's results with --results, then compare with --baseline FILE",
                          "--fail-on-new needs --baseline");
  }
  std::optional<checks::Baseline> baseline;
  if (!options.baseline.empty()) {
    baseline = TRY(checks::load_baseline(options.baseline));
  }
  checks::Waivers waivers;
  if (!options.waivers.empty()) {
    waivers = TRY(checks::load_waivers(options.waivers, today));
  }
  checks::Report report;
  {
    auto evidence = TRY(gather(options.evidence, ctx, today));
    if (evidence.inputs.empty()) {
      ctx.warn("no evidence was found in the paths given: every check is skipped");
    }
    report.results = checks::evaluate(selected, evidence.db);
    report.inputs = std::move(evidence.inputs);
    report.profile = std::move(evidence.profile);
  } // the evidence tables go before the results are written
  const auto unused = checks::apply_waivers(report.results, waivers);
  report.waiver_problems = waivers.problems;
  report.waiver_problems.insert(report.waiver_problems.end(), unused.begin(), unused.end());
  report.generated = util::now_rfc3339();
  report.today = today;
  report.fail_on = *fail_on;
  report.framework = options.framework;
  report.control = options.control;
  auto gating = checks::gate(report);
  if (baseline) {
    checks::apply_baseline(report, *baseline);
    if (options.fail_on_new) {
      gating = checks::gate_new_only(report);
    }
  }
  for (const auto& p : report.waiver_problems) {
    ctx.warn(fmt::format("{}:{}: {}", p.file, p.line, p.message));
  }

  // The JSON results are written a check at a time (a run over thousands of files has hundreds of
  // thousands of findings): never built whole. Their digest (for the audit entry and the signature)
  // is computed on another core meanwhile.
  auto results_digest = std::async(std::launch::async, [&report] { return attest::report_results_sha256(report); });
  const auto write_results = [&report](const nlohmann::ordered_json& signature) {
    return [&report, &signature](const Writer& out) { checks::write_results_json(report, signature, out); };
  };
  const auto overwrite = options.force ? util::Overwrite::yes : util::Overwrite::no;
  if (options.format == "json") {
    TRY_VOID(emit_pieces(options.output, overwrite, write_results(nlohmann::ordered_json::object())));
  } else {
    std::string text;
    if (options.format == "sarif") {
      text = checks::render_sarif(report);
    } else if (options.format == "junit") {
      text = checks::render_junit(report);
    } else if (options.format == "markdown") {
      text = checks::render_markdown(report);
    } else if (options.format == "html") {
      text = TRY(checks::render_html(report, render::TemplateDirs{}));
    } else if (options.format == "oscal") {
      text = checks::to_oscal_assessment_results(report).dump(2) + "\n";
    } else {
      text = checks::render_table(report, options.output == "-" && ctx.colour_stdout());
      text += checks::render_baseline_text(report);
    }
    TRY_VOID(emit(options.output, text, overwrite));
  }

  const auto summary = checks::summarise(report);
  const auto library = TRY(attest::library_digest(selected));
  const auto canonical_sha256 = results_digest.get();
  std::optional<int64_t> seq;
  auto workspace = ctx.workspace();
  if (workspace) {
    std::string target;
    for (const auto& p : options.evidence.paths) {
      target += (target.empty() ? "" : " ") + p;
    }
    seq = ctx.record(*workspace, core::Event{"check.run", target, gating ? core::Outcome::denied : core::Outcome::ok,
                                             {{"checks", report.results.size()},
                                              {"pass", summary.pass},
                                              {"fail", summary.fail},
                                              {"skip", summary.skip},
                                              {"error", summary.error},
                                              {"waived", summary.waived},
                                              {"gating", summary.gating},
                                              {"fail_on", options.fail_on},
                                              {"today", today},
                                              {"profile_sha256", report.profile ? report.profile->sha256 : "none"},
                                              {"checks_sha256", library},
                                              {"results_sha256", canonical_sha256},
                                              {"results", options.results}}});
  }
  if (!options.results.empty()) {
    auto signature = nlohmann::ordered_json::object();
    if (seq) {
      signature = TRY(results_signature(*workspace, *seq, today, library, canonical_sha256, report));
    } else {
      ctx.warn(fmt::format("{} is not signed ({}): documents refuse unsigned results", options.results,
                           workspace ? "the run could not be recorded" : "no workspace; `complycli init` creates one"));
    }
    TRY_VOID(emit_pieces(options.results, overwrite, write_results(signature)));
  }
  if (gating) {
    return fail(Errc::check_failed, "{} {}finding{} at or above {} severity failed (see the report)", gating,
                options.fail_on_new ? "new " : "", gating == 1 ? "" : "s", options.fail_on);
  }
  return {};
}

std::string controls_text(const checks::Check& c)
{
  std::string out;
  for (const auto& fw : checks::frameworks) {
    if (auto it = c.controls.find(fw); it != c.controls.end()) {
      for (const auto& id : it->second) {
        out += (out.empty() ? "" : " ") + fw + ":" + id;
      }
    }
  }
  return out;
}

nlohmann::ordered_json check_json(const checks::Check& c, bool with_query)
{
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["title"] = c.title;
  j["severity"] = checks::to_string(c.severity);
  nlohmann::ordered_json controls = nlohmann::ordered_json::object();
  for (const auto& fw : checks::frameworks) {
    if (auto it = c.controls.find(fw); it != c.controls.end()) {
      controls[fw] = it->second;
    }
  }
  j["controls"] = controls;
  j["file"] = c.file;
  if (with_query) {
    j["rationale"] = c.rationale;
    j["remediation"] = c.remediation;
    j["query"] = c.query;
  }
  return j;
}

struct ListOptions {
  std::string framework;
  std::string format = "table";
  std::vector<std::string> check_dirs;
  std::string id;
};

Result<void> run_checks_list(const ListOptions& options)
{
  TRY_VOID(check_framework(options.framework));
  const auto format = TRY(parse_format(options.format));
  const auto all = TRY(load_all_checks(options.check_dirs));
  core::Table table({"ID", "SEVERITY", "CONTROLS", "TITLE"});
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& c : all) {
    if (!options.framework.empty() && !c.maps_to(options.framework)) {
      continue;
    }
    std::string controls;
    if (options.framework.empty()) {
      controls = controls_text(c);
    } else {
      for (const auto& id : c.controls.at(options.framework)) {
        controls += (controls.empty() ? "" : " ") + id;
      }
    }
    table.add_row({c.id, checks::to_string(c.severity), controls, c.title});
    list.push_back(check_json(c, false));
  }
  if (format == core::Format::json) {
    return emit("-", nlohmann::ordered_json{{"schema_version", 1}, {"checks", list}}.dump(2) + "\n", util::Overwrite::no);
  }
  return emit("-", table.render(false), util::Overwrite::no);
}

Result<void> run_checks_show(const ListOptions& options)
{
  const auto format = TRY(parse_format(options.format));
  const auto all = TRY(load_all_checks(options.check_dirs));
  for (const auto& c : all) {
    if (c.id != options.id) {
      continue;
    }
    if (format == core::Format::json) {
      auto j = check_json(c, true);
      return emit("-", nlohmann::ordered_json{{"schema_version", 1}, {"check", j}}.dump(2) + "\n", util::Overwrite::no);
    }
    std::string text = fmt::format("id:          {}\ntitle:       {}\nseverity:    {}\ncontrols:    {}\nfile:        {}\n\n"
                                   "rationale:\n  {}\n\nremediation:\n  {}\n\nquery:\n",
                                   c.id, c.title, checks::to_string(c.severity), controls_text(c), c.file, c.rationale,
                                   c.remediation);
    std::string query = c.query;
    std::size_t start = 0;
    while (start < query.size()) {
      const auto end = query.find('\n', start);
      text += "  " + query.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
      if (end == std::string::npos) {
        break;
      }
      start = end + 1;
    }
    return emit("-", text, util::Overwrite::no);
  }
  return fail_with_hint(Errc::usage, "`complycli checks list` lists them", "no check with id {}", options.id);
}

struct ControlsOptions {
  std::string framework = "soc2";
  bool framework_given = false; // --format oscal maps every framework unless --framework is given
  std::string format = "table";
  std::vector<std::string> check_dirs;
  EvidenceOptions evidence;
};

Result<void> run_controls(const ControlsOptions& options, const Context& ctx)
{
  TRY_VOID(check_framework(options.framework));
  if (options.format == "oscal") {
    const auto library = TRY(load_all_checks(options.check_dirs));
    const std::vector<std::string> wanted = options.framework_given ? std::vector<std::string>{options.framework}
                                                                    : std::vector<std::string>{};
    return emit("-", checks::to_oscal_component_definition(library, wanted, util::now_rfc3339()).dump(2) + "\n",
                util::Overwrite::no);
  }
  const auto format = TRY(parse_format(options.format));
  const auto all = TRY(load_all_checks(options.check_dirs));
  // With evidence, coverage is how many of a control's checks had evidence (did not skip) and passed.
  std::map<std::string, checks::Status> status;
  const bool evaluated = !options.evidence.paths.empty() || !options.evidence.urls.empty() || !options.evidence.profile.empty();
  if (evaluated) {
    const auto today = TRY(checks::resolve_today(options.evidence.date));
    auto evidence = TRY(gather(options.evidence, ctx, today));
    for (const auto& r : checks::evaluate(all, evidence.db)) {
      status[r.check.id] = r.status;
    }
  }
  std::map<std::string, std::vector<const checks::Check*>> by_control;
  for (const auto& c : all) {
    if (auto it = c.controls.find(options.framework); it != c.controls.end()) {
      for (const auto& id : it->second) {
        by_control[id].push_back(&c);
      }
    }
  }
  core::Table table(evaluated ? std::vector<std::string>{"CONTROL", "CHECKS", "PASS", "FAIL", "SKIP", "COVERAGE", "TITLE"}
                              : std::vector<std::string>{"CONTROL", "CHECKS", "TITLE"});
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [control, list_checks] : by_control) {
    std::string ids;
    nlohmann::ordered_json id_list = nlohmann::ordered_json::array();
    std::size_t pass = 0, failed = 0, skipped = 0;
    for (const auto* c : list_checks) {
      ids += (ids.empty() ? "" : " ") + c->id;
      id_list.push_back(c->id);
      if (evaluated) {
        const auto s = status[c->id];
        pass += s == checks::Status::pass ? 1 : 0;
        failed += s == checks::Status::fail || s == checks::Status::error || s == checks::Status::unknown ? 1 : 0;
        skipped += s == checks::Status::skip ? 1 : 0;
      }
    }
    const auto title = checks::control_title(options.framework, control);
    nlohmann::ordered_json j{{"control", control}, {"title", title}, {"checks", id_list}};
    if (evaluated) {
      const auto coverage = fmt::format("{}%", (list_checks.size() - skipped) * 100 / list_checks.size());
      table.add_row({control, std::to_string(list_checks.size()), std::to_string(pass), std::to_string(failed),
                     std::to_string(skipped), coverage, title});
      j["pass"] = pass;
      j["fail"] = failed;
      j["skip"] = skipped;
      j["coverage"] = static_cast<double>(list_checks.size() - skipped) / static_cast<double>(list_checks.size());
    } else {
      table.add_row({control, ids, title});
    }
    list.push_back(j);
  }
  if (format == core::Format::json) {
    return emit("-", nlohmann::ordered_json{{"schema_version", 1}, {"framework", options.framework}, {"controls", list}}.dump(2) + "\n",
                util::Overwrite::no);
  }
  return emit("-", table.render(false), util::Overwrite::no);
}

struct QueryOptions {
  std::string sql;
  std::string format = "table";
  EvidenceOptions evidence;
};

Result<void> run_query(const QueryOptions& options, const Context& ctx)
{
  const auto format = TRY(parse_format(options.format));
  const auto today = TRY(checks::resolve_today(options.evidence.date));
  auto evidence = TRY(gather(options.evidence, ctx, today));
  const auto result = TRY(evidence.db.query(options.sql));
  if (format == core::Format::json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& row : result.rows) {
      nlohmann::ordered_json j = nlohmann::ordered_json::object();
      for (std::size_t i = 0; i < result.columns.size(); ++i) {
        const auto& v = row[i];
        if (const auto* n = std::get_if<int64_t>(&v)) {
          j[result.columns[i]] = *n;
        } else if (const auto* d = std::get_if<double>(&v)) {
          j[result.columns[i]] = *d;
        } else if (const auto* s = std::get_if<std::string>(&v)) {
          j[result.columns[i]] = *s;
        } else {
          j[result.columns[i]] = nullptr;
        }
      }
      rows.push_back(j);
    }
    return emit("-", nlohmann::ordered_json{{"schema_version", 1}, {"columns", result.columns}, {"rows", rows}}.dump(2) + "\n",
                util::Overwrite::no);
  }
  if (result.columns.empty()) {
    return {};
  }
  core::Table table(result.columns);
  for (const auto& row : result.rows) {
    std::vector<std::string> cells;
    for (const auto& v : row) {
      cells.push_back(evidence::to_text(v));
    }
    table.add_row(std::move(cells));
  }
  return emit("-", table.render(false), util::Overwrite::no);
}

} // namespace

void register_check(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<CheckOptions>();
  auto* sub = app.add_subcommand("check", "Evaluate the check library over configs, the profile and live TLS endpoints");
  add_evidence_options(sub, options->evidence);
  sub->add_option("--format", options->format, "table, json, sarif, junit, markdown, html or oscal")->capture_default_str();
  sub->add_option("-o,--output", options->output, "Write the report to FILE (atomically) instead of stdout");
  sub->add_option("--fail-on", options->fail_on, "Lowest severity whose failures make exit 1: low, medium, high, critical")
      ->capture_default_str();
  sub->add_option("--framework", options->framework, "Only checks mapped to this framework (soc2, iso27001_2022, gdpr, hipaa, eu_ai_act)");
  sub->add_option("--control", options->control, "Only checks mapped to this control of --framework (e.g. CC6.7)");
  sub->add_option("--waivers", options->waivers, "YAML file of waivers (check, resource glob, reason, owner, expires)");
  sub->add_option("--checks", options->check_dirs, "A folder of more check definitions (repeatable)");
  sub->add_option("--results", options->results, "Also write the JSON results (what document commands read) to FILE");
  sub->add_flag("--force", options->force, "Overwrite existing -o / --results files");
  sub->add_option("--baseline", options->baseline,
                  "Earlier JSON results (--results): mark failing findings new, unchanged, updated or fixed");
  sub->add_flag("--fail-on-new", options->fail_on_new, "With --baseline: exit 1 only for new findings at or above --fail-on");
  sub->footer("Exit status: 0 when no finding at or above --fail-on fails, 1 when one does, 2 for bad input.\n"
              "Example:\n  complycli check examples/northwind-legal --fail-on critical\n"
              "  complycli check configs/ --format sarif -o complycli.sarif --date 2026-11-25\n"
              "  complycli check configs/ --format html -o report.html\n"
              "  complycli check configs/ --baseline main-results.json --fail-on-new --format sarif -o new.sarif\n"
              "  complycli check --root server-etc-copy/   # a copy of a server's /, read as that server reads it");
  sub->callback([options, &ctx] { ctx.outcome = run_check(*options, ctx); });

  auto list_options = std::make_shared<ListOptions>();
  auto* checks_cmd = app.add_subcommand("checks", "List the check library, or show one check");
  checks_cmd->require_subcommand(1);
  auto* list = checks_cmd->add_subcommand("list", "List every check with its severity and controls");
  list->add_option("--framework", list_options->framework, "Only checks mapped to this framework");
  list->add_option("--format", list_options->format, "table or json")->capture_default_str();
  list->add_option("--checks", list_options->check_dirs, "A folder of more check definitions (repeatable)");
  list->footer("Example:\n  complycli checks list --framework soc2");
  list->callback([list_options, &ctx] { ctx.outcome = run_checks_list(*list_options); });
  auto* show = checks_cmd->add_subcommand("show", "Show one check: rationale, remediation, controls and query");
  show->add_option("id", list_options->id, "Check id")->required();
  show->add_option("--format", list_options->format, "table or json")->capture_default_str();
  show->add_option("--checks", list_options->check_dirs, "A folder of more check definitions (repeatable)");
  show->footer("Example:\n  complycli checks show tls-no-legacy-protocols");
  show->callback([list_options, &ctx] { ctx.outcome = run_checks_show(*list_options); });
  checks_cmd->footer("Example:\n  complycli checks list --framework soc2\n  complycli checks show http-hsts");

  auto controls_options = std::make_shared<ControlsOptions>();
  auto* controls = app.add_subcommand("controls", "List a framework's controls with the checks that evidence them");
  auto* controls_framework =
      controls->add_option("--framework", controls_options->framework, "soc2, iso27001_2022, gdpr or hipaa")->capture_default_str();
  controls->add_option("--format", controls_options->format, "table, json or oscal (a component definition)")
      ->capture_default_str();
  controls->add_option("--checks", controls_options->check_dirs, "A folder of more check definitions (repeatable)");
  add_evidence_options(controls, controls_options->evidence);
  controls->footer("With PATHs (or --profile, --url), also evaluates the checks and shows coverage: the share of a\n"
                   "control's checks that had evidence.\nExample:\n  complycli controls --framework soc2\n"
                   "  complycli controls examples/northwind-legal --date 2026-11-25\n"
                   "  complycli controls --format oscal > complycli-component.json");
  controls->callback([controls_options, controls_framework, &ctx] {
    controls_options->framework_given = controls_framework->count() > 0;
    ctx.outcome = run_controls(*controls_options, ctx);
  });

  auto query_options = std::make_shared<QueryOptions>();
  auto* query = app.add_subcommand("query", "Run SQL over the evidence tables (see docs/checks.md)");
  query->add_option("sql", query_options->sql, "The SQL query")->required();
  add_evidence_options(query, query_options->evidence);
  query->add_option("--format", query_options->format, "table or json")->capture_default_str();
  query->footer("Example:\n  complycli query \"SELECT resource, protocols, file, line FROM tls_endpoints\" examples/northwind-legal");
  query->callback([query_options, &ctx] { ctx.outcome = run_query(*query_options, ctx); });
}

} // namespace complycli::cli
