#include "render/documents.hpp"

#include "render/csv.hpp"
#include "render/places.hpp"
#include "render/profile_text.hpp"
#include "util/time.hpp"
#include "yaml/document.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

namespace complycli::render {

namespace {

using json = nlohmann::json;

std::chrono::sys_days days(std::chrono::year_month_day date)
{
  return std::chrono::sys_days{date};
}

std::string add_days(std::chrono::year_month_day date, int n)
{
  return util::format_date(std::chrono::year_month_day{days(date) + std::chrono::days{n}});
}

Result<std::string> render_named(const DocumentInputs& inputs, const std::string& name, const json& data,
                                 Escape escape)
{
  const auto path = TRY(inputs.dirs.find(name));
  return render_file(path, data, escape);
}

Escape escape_for(DocFormat format)
{
  switch (format) {
  case DocFormat::html: return Escape::html;
  case DocFormat::csv: return Escape::csv;
  default: return Escape::none;
  }
}

const json* find_check(const json& results, const std::string& id)
{
  for (const auto& check : results["checks"]) {
    if (check.value("id", "") == id) {
      return &check;
    }
  }
  return nullptr;
}

// Whether a check result passed only because a waiver covers a failing finding.
bool waived(const json& check)
{
  if (check.contains("waived") && check["waived"].is_number() && check["waived"].get<double>() > 0) {
    return true;
  }
  if (check.contains("findings") && check["findings"].is_array()) {
    for (const auto& f : check["findings"]) {
      if (f.is_object() && f.contains("waived") && f["waived"] == true) {
        return true;
      }
    }
  }
  return false;
}

// "SOC 2 CC6.7; ISO/IEC 27001:2022 A.8.24" from a check's `controls`.
std::string controls_text(const json& check, const json& frameworks)
{
  std::string out;
  if (!check.contains("controls") || !check["controls"].is_object()) {
    return out;
  }
  for (const auto& [framework, ids] : check["controls"].items()) {
    const std::string label = frameworks.is_object() && frameworks.contains(framework) && frameworks[framework].is_string()
                                  ? frameworks[framework].get<std::string>()
                                  : framework;
    out += (out.empty() ? "" : "; ") + label + " " + value_text(ids);
  }
  return out;
}

struct ResultsState {
  bool present = false;
  bool fresh = false;    // evaluated on or before the document's date, at most --max-age days before
  std::string evaluated; // the date the checks evaluated (the results' signed "today")
  long age_days = 0;     // from `evaluated` to the document's date
};

ResultsState results_state(const DocumentInputs& inputs)
{
  ResultsState state;
  if (!inputs.results) {
    return state;
  }
  state.present = true;
  // Freshness counts from the day the checks evaluated, which the results' signature binds, not from
  // the time the file was written ("generated").
  const std::string today = inputs.results->data.value("today", "");
  const auto date = util::parse_date(today);
  if (!date) {
    return state; // an undated result set is never fresh
  }
  state.evaluated = util::format_date(*date);
  state.age_days = static_cast<long>((days(inputs.date) - days(*date)).count());
  state.fresh = state.age_days >= 0 && state.age_days <= inputs.max_age_days;
  return state;
}

// Give every list of plain values a one-line text form next to it: `methods` -> `methods_text`.
void add_text_forms(json& node)
{
  if (node.is_array()) {
    for (auto& item : node) {
      add_text_forms(item);
    }
    return;
  }
  if (!node.is_object()) {
    return;
  }
  std::vector<std::string> lists;
  for (auto& [key, value] : node.items()) {
    add_text_forms(value);
    if (value.is_array() && std::none_of(value.begin(), value.end(), [](const json& v) { return v.is_structured(); })) {
      lists.push_back(key);
    }
  }
  for (const auto& key : lists) {
    if (!node.contains(key + "_text")) {
      node[key + "_text"] = value_text(node[key]);
    }
  }
}

// "500 Harbor Street\nSeattle" -> "500 Harbor Street, Seattle".
std::string one_line(const std::string& text)
{
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    auto part = text.substr(start, end - start);
    while (!part.empty() && (part.back() == '\r' || part.back() == ' ' || part.back() == ',')) {
      part.pop_back();
    }
    if (!part.empty()) {
      out += (out.empty() ? "" : ", ") + part;
    }
    start = end + 1;
  }
  return out;
}

// "SOC 2 Type II (expires 2027-03-31), ISO 27001 (expires 2027-11-30)".
std::string certifications_text(const json& certifications)
{
  std::string text;
  for (const auto& cert : certifications) {
    std::string one = cert.is_object() ? cert.value("name", "") : value_text(cert);
    if (cert.is_object() && cert.contains("expires")) {
      one += " (expires " + value_text(cert["expires"]) + ")";
    }
    text += (text.empty() ? "" : ", ") + one;
  }
  return text;
}

// The distinct countries `locations` name (regions.yaml), in order, and those outside the EEA.
struct Countries {
  json all = json::array();
  json outside_eea = json::array();
  json unknown = json::array(); // codes the table does not know
};

Countries countries_of(const json& regions, const json& locations)
{
  Countries out;
  std::set<std::string> seen;
  if (!locations.is_array()) {
    return out;
  }
  for (const auto& location : locations) {
    const auto place = place_of(regions, value_text(location));
    if (!place.known) {
      out.unknown.push_back(value_text(location));
    }
    if (!seen.insert(lower(place.country)).second) {
      continue;
    }
    out.all.push_back(place.country);
    if (!place.eea) {
      out.outside_eea.push_back(place.country);
    }
  }
  return out;
}

// Subprocessors sorted by name, with text forms, countries, their AI provider flags and whether they
// are pending on `today` (empty: none is): inside the Art. 28(2) notice period that starts on `added`,
// so that they process customer data only from `added` + organisation.subprocessor_notice_days.
json enrich_subprocessors(const json& profile, const json& regions,
                          std::optional<std::chrono::year_month_day> today = std::nullopt)
{
  json subs = profile.contains("subprocessors") ? profile["subprocessors"] : json::array();
  std::sort(subs.begin(), subs.end(),
            [](const json& a, const json& b) { return lower(a.value("name", "")) < lower(b.value("name", "")); });
  const json ai = profile.contains("ai_providers") ? profile["ai_providers"] : json::array();
  for (auto& sub : subs) {
    for (const char* list : {"data_categories", "locations"}) {
      if (sub.contains(list)) {
        sub[std::string(list) + "_text"] = value_text(sub[list]);
      }
    }
    const auto countries = countries_of(regions, sub.value("locations", json::array()));
    sub["countries"] = countries.all;
    sub["countries_text"] = value_text(countries.all);
    sub["outside_eea"] = countries.outside_eea;
    sub["outside_eea_text"] = value_text(countries.outside_eea);
    sub["transfers_outside_eea"] = !countries.outside_eea.empty();
    sub["customer_data"] = sub.value("processes_customer_data", true);
    if (sub.contains("address") && sub["address"].is_string()) {
      sub["address_oneline"] = one_line(sub["address"].get<std::string>());
    }
    const std::string added = sub.contains("added") && sub["added"].is_string() ? sub["added"].get<std::string>() : "";
    sub["pending"] = false;
    if (const auto added_date = util::parse_date(added); today && added_date) {
      const auto* notice = find_path(profile, "organisation.subprocessor_notice_days");
      const int notice_days = notice && notice->is_number_integer() ? notice->get<int>() : 30;
      const auto starts = std::chrono::sys_days{*added_date} + std::chrono::days{notice_days};
      if (std::chrono::sys_days{*today} < starts) {
        sub["pending"] = true;
        sub["starts"] = util::format_date(std::chrono::year_month_day{starts});
      }
    }
    sub["role"] = !sub["customer_data"].get<bool>() ? "own_tool" : sub["pending"].get<bool>() ? "pending" : "subprocessor";
    if (sub.contains("certifications") && sub["certifications"].is_array()) {
      sub["certifications_text"] = certifications_text(sub["certifications"]);
      sub["has_certifications"] = !sub["certifications"].empty();
    } else {
      sub["has_certifications"] = false;
    }
    sub["has_dpa"] = sub.contains("dpa_signed") && !sub["dpa_signed"].is_null();
    for (const auto& provider : ai) {
      if (lower(provider.value("name", "")) == lower(sub.value("name", ""))) {
        json flags = provider;
        if (flags.contains("models")) {
          flags["models_text"] = value_text(flags["models"]);
        }
        sub["ai"] = flags;
      }
    }
    sub["is_ai_provider"] = sub.contains("ai");
  }
  return subs;
}

// The company's own certifications (profile `certifications`) as the trust page states them.
json own_certifications(const json& profile, std::chrono::year_month_day date)
{
  static const std::vector<std::pair<const char*, const char*>> names = {
      {"soc2", "SOC 2"}, {"iso27001", "ISO/IEC 27001"}, {"hipaa_baa", "HIPAA business associate agreement"},
      {"pci_dss", "PCI DSS"}};
  json out = json::array();
  const json certs = profile.value("certifications", json::object());
  const auto today = util::format_date(date);
  for (const auto& [key, label] : names) {
    if (!certs.contains(key)) {
      continue;
    }
    const json& cert = certs[key];
    const std::string status = cert.value("status", "none");
    std::string name = label;
    if (cert.contains("scope")) {
      name += " (" + value_text(cert["scope"]) + ")";
    }
    std::string text;
    bool held = false;
    if (status == "certified") {
      const auto expires = cert.contains("expires") ? value_text(cert["expires"]) : std::string();
      held = expires.empty() || expires >= today;
      text = held ? fmt::format("certified{}{}", cert.contains("issued") ? ", issued " + value_text(cert["issued"]) : "",
                                expires.empty() ? "" : ", valid until " + expires)
                  : fmt::format("expired on {}", expires);
    } else if (status == "in_progress") {
      text = cert.contains("target") ? fmt::format("in progress, expected by {}", value_text(cert["target"]))
                                     : "in progress";
    } else {
      text = "not held";
    }
    out.push_back({{"key", key}, {"name", name}, {"status", status}, {"status_text", text}, {"held", held}});
  }
  return out;
}

// "critical 7 days, high 30 days" from service_levels.patch_days.
std::string patch_days_text(const json& patch_days)
{
  std::string out;
  for (const char* severity : {"critical", "high", "medium", "low"}) {
    if (patch_days.contains(severity)) {
      out += fmt::format("{}{} {} days", out.empty() ? "" : ", ", severity, value_text(patch_days[severity]));
    }
  }
  return out;
}

// Every distinct value of products[].`key`, in order of appearance.
json union_of(const json& profile, const char* key)
{
  json out = json::array();
  std::set<std::string> seen;
  if (!profile.contains("products")) {
    return out;
  }
  for (const auto& product : profile["products"]) {
    if (!product.contains(key) || !product[key].is_array()) {
      continue;
    }
    for (const auto& item : product[key]) {
      const auto text = value_text(item);
      if (seen.insert(lower(text)).second) {
        out.push_back(text);
      }
    }
  }
  return out;
}

// `entry[key]`, when present, must be a list of strings.
bool string_list_or_absent(const json& entry, const char* key)
{
  if (!entry.contains(key)) {
    return true;
  }
  const auto& list = entry[key];
  return list.is_array() && std::all_of(list.begin(), list.end(), [](const json& v) { return v.is_string(); });
}

bool type_or_absent(const json& entry, const char* key, json::value_t type)
{
  return !entry.contains(key) || entry[key].type() == type;
}

Result<json> load_claims(const DocumentInputs& inputs)
{
  const auto path = TRY(inputs.dirs.find("claims.yaml"));
  auto config = TRY(yaml::load_file(path));
  if (!config.is_object() || !config.contains("claims") || !config["claims"].is_array()) {
    return fail(Errc::config, "{}: needs a \"claims\" list", path.string());
  }
  if (!type_or_absent(config, "frameworks", json::value_t::object) ||
      !type_or_absent(config, "settings", json::value_t::object) ||
      (config.contains("settings") && !type_or_absent(config["settings"], "security_txt_expires_days",
                                                      json::value_t::number_integer))) {
    return fail(Errc::config, "{}: frameworks and settings must be mappings (security_txt_expires_days a number)",
                path.string());
  }
  for (std::size_t i = 0; i < config["claims"].size(); ++i) {
    const auto& claim = config["claims"][i];
    if (!claim.is_object() || !claim.contains("id") || !claim["id"].is_string() ||
        !type_or_absent(claim, "title", json::value_t::string) || !string_list_or_absent(claim, "checks") ||
        !string_list_or_absent(claim, "facts") || !type_or_absent(claim, "applies_if", json::value_t::string) ||
        (claim.contains("max_age") && (!claim["max_age"].is_number_integer() || claim["max_age"].get<long>() < 0))) {
      return fail(Errc::config,
                  "{}: claims[{}] needs an id (text), and title text, checks and facts lists of text, applies_if text, "
                  "max_age a number of days",
                  path.string(), i);
    }
  }
  return config;
}

std::vector<Claim> evaluate_claims(const DocumentInputs& inputs, const json& config, const ResultsState& state)
{
  std::vector<Claim> claims;
  for (const auto& entry : config["claims"]) {
    Claim claim;
    claim.id = entry.value("id", "");
    claim.title = entry.value("title", claim.id);
    if (entry.contains("applies_if") && !truthy(find_path(inputs.profile.data, entry["applies_if"].get<std::string>()))) {
      // Not about this company (it has no AI workers, say): neither made nor reported as left out.
      claim.applies = false;
      claim.reasons.push_back(fmt::format("does not apply: the profile does not state {}", entry["applies_if"].get<std::string>()));
      claims.push_back(std::move(claim));
      continue;
    }
    if (entry.contains("facts")) {
      for (const auto& fact : entry["facts"]) {
        const auto path = value_text(fact);
        if (!truthy(find_path(inputs.profile.data, path))) {
          claim.reasons.push_back(fmt::format("the profile does not state {}", path));
        }
      }
    }
    const bool has_checks = entry.contains("checks") && !entry["checks"].empty();
    if (has_checks) {
      for (const auto& id_value : entry["checks"]) {
        claim.checks.push_back(value_text(id_value));
      }
      const int max_age = entry.contains("max_age") ? entry["max_age"].get<int>() : inputs.max_age_days;
      if (!state.present) {
        claim.reasons.push_back("no check results (--results)");
      } else if (state.evaluated.empty()) {
        claim.reasons.push_back("the check results carry no evaluation date");
      } else if (state.age_days < 0) {
        claim.reasons.push_back(fmt::format("the checks evaluated on {}, after the document's date", state.evaluated));
      } else if (state.age_days > max_age) {
        claim.reasons.push_back(fmt::format("the checks evaluated on {}, {} days before the document (max_age {})",
                                            state.evaluated, state.age_days, max_age));
      } else {
        for (const auto& id_value : entry["checks"]) {
          const auto id = value_text(id_value);
          const json* check = find_check(inputs.results->data, id);
          if (check == nullptr) {
            claim.reasons.push_back(fmt::format("check {} is not in the results", id));
          } else if ((*check)["status"] != "pass") {
            claim.reasons.push_back(fmt::format("check {}: {}", id, (*check)["status"].get<std::string>()));
          } else if (waived(*check)) {
            // A waiver accepts a failure for the build; it never turns it into a claim.
            claim.reasons.push_back(fmt::format("check {}: waived", id));
            claim.waived = true;
          }
        }
      }
    }
    claim.backed = claim.reasons.empty();
    claims.push_back(std::move(claim));
  }
  return claims;
}

// "external_message" -> "external messages": the sensitive action kinds in words.
std::string action_words(const std::string& action)
{
  static const std::map<std::string, std::string> words = {
      {"external_message", "messages sent outside the company"}, {"record_change", "changes to records"},
      {"regulated_data", "handling regulated data"},            {"production_change", "changes to production systems"},
      {"decision_about_person", "decisions about people"}};
  const auto it = words.find(action);
  return it == words.end() ? action : it->second;
}

// What the documents may say about the AI workers (the claims ai_workers_* decide whether they do):
// how many act (retired ones not counted) and which actions need whose approval.
json ai_workers_summary(const json& profile)
{
  std::size_t active = 0;
  std::map<std::string, std::set<std::string>> roles; // action -> approver roles
  for (const auto& worker : profile.value("ai_workers", json::array())) {
    if (worker.value("status", "") == "retired") {
      continue;
    }
    ++active;
    for (const auto& rule : worker.value("approvals", json::array())) {
      roles[rule.value("action", "")].insert(rule.value("approver_role", ""));
    }
  }
  json rules = json::array();
  for (const auto& [action, who] : roles) {
    rules.push_back({{"action", action}, {"action_text", action_words(action)},
                     {"roles_text", fmt::format("{}", fmt::join(who, " or "))}});
  }
  return {{"count", std::to_string(active)},
          {"count_text", active == 1 ? "One AI worker" : fmt::format("{} AI workers", active)},
          {"approval_rules", rules},
          {"has_approval_rules", !rules.empty()}};
}

json footer_data(const DocumentInputs& inputs)
{
  json footer = {{"profile_sha256", inputs.profile.sha256}};
  if (inputs.results) {
    footer["results_sha256"] = inputs.results->sha256;
  }
  if (inputs.audit_sequence) {
    footer["audit_sequence"] = std::to_string(*inputs.audit_sequence);
  }
  if (inputs.audit_proof_stem) {
    footer["audit_proof"] = {{"proof", *inputs.audit_proof_stem + ".tlog-proof"},
                             {"entry", *inputs.audit_proof_stem + ".json"}};
  }
  return footer;
}

} // namespace

Result<DocFormat> parse_doc_format(const std::string& text, const std::vector<DocFormat>& allowed)
{
  std::optional<DocFormat> format;
  if (text == "md" || text == "markdown") {
    format = DocFormat::md;
  } else if (text == "html") {
    format = DocFormat::html;
  } else if (text == "csv") {
    format = DocFormat::csv;
  } else if (text == "json") {
    format = DocFormat::json;
  }
  std::string names;
  for (const auto f : allowed) {
    names += (names.empty() ? "" : "|") + std::string(extension(f));
  }
  if (!format || std::find(allowed.begin(), allowed.end(), *format) == allowed.end()) {
    return fail(Errc::usage, "--format must be {}, not {}", names, text);
  }
  return *format;
}

const char* extension(DocFormat format)
{
  switch (format) {
  case DocFormat::md: return "md";
  case DocFormat::html: return "html";
  case DocFormat::csv: return "csv";
  case DocFormat::json: return "json";
  }
  return "md";
}

Result<json> document_data(const DocumentInputs& inputs, std::vector<Claim>* claims_out,
                           std::vector<std::string>* warnings)
{
  const json config = TRY(load_claims(inputs));
  const json regions = TRY(load_regions(inputs.dirs));
  const json frameworks = config.contains("frameworks") ? config["frameworks"] : json::object();
  const auto state = results_state(inputs);

  json data = inputs.profile.data;
  data["subprocessors"] = enrich_subprocessors(inputs.profile.data, regions, inputs.date);
  data["has_subprocessors"] = !data["subprocessors"].empty();
  {
    // Processors of customer data (Annex III), split into those in force and those still inside the
    // notice period on the document's date; the company's own tools apart.
    json processors = json::array(), pending = json::array(), tools = json::array();
    for (const auto& sub : data["subprocessors"]) {
      if (!sub["customer_data"].get<bool>()) {
        tools.push_back(sub);
      } else if (sub["pending"].get<bool>()) {
        pending.push_back(sub);
      } else {
        processors.push_back(sub);
      }
    }
    data["processors"] = processors;
    data["has_processors"] = !processors.empty();
    data["pending_processors"] = pending;
    data["has_pending_processors"] = !pending.empty();
    data["controller_tools"] = tools;
    data["has_controller_tools"] = !tools.empty();
  }
  {
    const auto hosting = countries_of(regions, data["organisation"].value("hosting_regions", json::array()));
    data["organisation"]["hosting_countries"] = hosting.all;
    data["organisation"]["hosting_countries_text"] = value_text(hosting.all);
    if (warnings) {
      std::set<std::string> unknown;
      for (const auto& code : hosting.unknown) {
        unknown.insert(code.get<std::string>());
      }
      for (const auto& sub : inputs.profile.data.value("subprocessors", json::array())) {
        for (const auto& code : countries_of(regions, sub.value("locations", json::array())).unknown) {
          unknown.insert(code.get<std::string>());
        }
      }
      for (const auto& code : unknown) {
        warnings->push_back(fmt::format("location \"{}\" is not in regions.yaml: shown as written and treated as "
                                        "outside the EEA (add it to a regions.yaml in --template-dir)",
                                        code));
      }
    }
  }
  data["has_ai_providers"] = data.contains("ai_providers") && !data["ai_providers"].empty();
  data["own_certifications"] = own_certifications(inputs.profile.data, inputs.date);
  data["has_own_certifications"] = !data["own_certifications"].empty();
  if (data.contains("service_levels")) {
    auto& levels = data["service_levels"];
    if (levels.contains("patch_days")) {
      levels["patch_days_text"] = patch_days_text(levels["patch_days"]);
    }
    for (const char* hours : {"breach_notification_hours", "vulnerability_acknowledgement_hours"}) {
      if (levels.contains(hours)) {
        levels[hours] = value_text(levels[hours]); // text: a section over it shows it
      }
    }
    data["has_service_levels"] = !levels.empty();
  } else {
    data["has_service_levels"] = false;
  }
  data["special_categories"] = union_of(inputs.profile.data, "special_categories");
  data["has_special_categories"] = !data["special_categories"].empty();
  {
    bool criminal = false;
    for (const auto& product : inputs.profile.data.value("products", json::array())) {
      criminal = criminal || product.value("criminal_offence_data", false);
    }
    data["criminal_offence_data"] = criminal;
  }
  {
    json names = json::array();
    for (const auto& sub : data["subprocessors"]) {
      names.push_back(sub.value("name", ""));
    }
    data["subprocessor_names_text"] = value_text(names);
  }
  if (data.contains("ai_providers")) {
    for (auto& provider : data["ai_providers"]) {
      if (provider.contains("models")) {
        provider["models_text"] = value_text(provider["models"]);
      }
    }
  }
  data["data_subjects"] = union_of(inputs.profile.data, "data_subjects");
  data["data_subjects_text"] = value_text(data["data_subjects"]);
  data["data_categories"] = union_of(inputs.profile.data, "data_categories");
  data["data_categories_text"] = value_text(data["data_categories"]);
  if (const auto* hosting_regions = find_path(inputs.profile.data, "organisation.hosting_regions")) {
    data["organisation"]["hosting_regions_text"] = value_text(*hosting_regions);
  }
  if (data["organisation"].contains("address") && data["organisation"]["address"].is_string()) {
    data["organisation"]["address_oneline"] = one_line(data["organisation"]["address"].get<std::string>());
  }
  {
    json names = json::array();
    for (const auto& product : data.value("products", json::array())) {
      names.push_back(product.value("name", ""));
    }
    data["product_names_text"] = value_text(names);
  }
  if (!data["organisation"].contains("subprocessor_notice_days")) {
    data["organisation"]["subprocessor_notice_days"] = 30;
  }

  const int expires_days = config.contains("settings") ? config["settings"].value("security_txt_expires_days", 180) : 180;
  data["ai_workers_summary"] = ai_workers_summary(inputs.profile.data);

  data["document"] = {{"date", util::format_date(inputs.date)},
                      {"year", std::to_string(static_cast<int>(inputs.date.year()))},
                      {"security_txt_expires", add_days(inputs.date, expires_days) + "T00:00:00Z"}};

  json results = {{"present", state.present}, {"fresh", state.fresh}, {"max_age_days", inputs.max_age_days}};
  if (state.present) {
    results["date"] = state.evaluated;
    results["age_days"] = state.age_days;
    results["sha256"] = inputs.results->sha256;
    if (inputs.results->data.contains("summary")) {
      results["summary"] = inputs.results->data["summary"];
    }
  }
  data["results"] = results;
  if (inputs.log_vkey) {
    data["verification"] = {{"key", *inputs.log_vkey}, {"manifest", "claims.json"}};
  }

  const auto claims = evaluate_claims(inputs, config, state);
  json claims_json = json::object();
  json unbacked = json::array();
  for (std::size_t i = 0; i < claims.size(); ++i) {
    const auto& entry = config["claims"][i];
    json c = entry;
    c["backed"] = claims[i].backed;
    c["checks_text"] = entry.contains("checks") ? value_text(entry["checks"]) : "";
    c["reasons_text"] = value_text(json(claims[i].reasons));
    c["verified_by_checks"] = entry.contains("checks") && !entry["checks"].empty();
    claims_json[claims[i].id] = c;
    if (!claims[i].backed && claims[i].applies) {
      unbacked.push_back(c);
    }
  }
  data["claims"] = claims_json;
  data["unbacked_claims"] = unbacked;
  data["has_unbacked_claims"] = !unbacked.empty();

  json passed = json::array();
  json waived_checks = json::array(); // private documents list them; public ones leave them out
  json compliance = json::array();
  if (state.present && state.fresh) {
    for (const auto& check : inputs.results->data["checks"]) {
      if (check["status"] == "pass" && waived(check)) {
        std::string waivers;
        if (check.contains("findings") && check["findings"].is_array()) {
          for (const auto& f : check["findings"]) {
            if (f.is_object() && f.contains("waived") && f["waived"] == true && f.contains("waiver") && f["waiver"].is_string()) {
              waivers += (waivers.empty() ? "" : "; ") + f["waiver"].get<std::string>();
            }
          }
        }
        waived_checks.push_back({{"id", check["id"]},
                                 {"title", check.value("title", check["id"].get<std::string>())},
                                 {"waiver", waivers}});
      }
      if (check["status"] == "pass" && !waived(check)) {
        json p = {{"id", check["id"]},
                  {"title", check.value("title", check["id"].get<std::string>())},
                  {"severity", check.value("severity", "")},
                  {"controls_text", controls_text(check, frameworks)}};
        passed.push_back(p);
      }
    }
    for (const auto& [key, label] : frameworks.items()) {
      std::size_t total = 0;
      std::size_t ok = 0;
      for (const auto& check : inputs.results->data["checks"]) {
        if (check.contains("controls") && check["controls"].is_object() && check["controls"].contains(key) &&
            check["status"] != "skip") {
          ++total;
          ok += check["status"] == "pass" && !waived(check) ? 1 : 0;
        }
      }
      if (total > 0) {
        compliance.push_back({{"framework", label}, {"passed", std::to_string(ok)}, {"total", std::to_string(total)},
                              {"all_passed", ok == total}});
      }
    }
  }
  data["passed_checks"] = passed;
  data["has_passed_checks"] = !passed.empty();
  data["waived_checks"] = waived_checks;
  data["has_waived_checks"] = !waived_checks.empty();
  data["compliance"] = compliance;
  data["has_compliance"] = !compliance.empty();
  if (inputs.footer) {
    data["footer"] = footer_data(inputs);
  }
  add_text_forms(data);
  if (claims_out) {
    claims_out->clear();
    std::copy_if(claims.begin(), claims.end(), std::back_inserter(*claims_out),
                 [](const Claim& claim) { return claim.applies; });
  }
  return data;
}

Result<Rendered> render_register(const DocumentInputs& inputs, DocFormat format)
{
  Rendered rendered;
  const json data = TRY(document_data(inputs, nullptr, &rendered.warnings));
  if (format == DocFormat::json) {
    json out = {{"schema_version", 1},
                {"organisation", data["organisation"]["legal_name"]},
                {"date", data["document"]["date"]},
                {"subprocessors", inputs.profile.data.contains("subprocessors") ? data["subprocessors"] : json::array()}};
    for (auto& sub : out["subprocessors"]) {
      for (const char* derived : {"data_categories_text", "locations_text", "certifications_text", "has_certifications",
                                  "has_dpa", "is_ai_provider", "countries_text", "outside_eea_text",
                                  "transfers_outside_eea"}) {
        sub.erase(derived);
      }
      if (sub.contains("ai")) {
        sub["ai"].erase("models_text");
        sub["ai"].erase("name");
      }
    }
    if (data.contains("footer")) {
      out["provenance"] = data["footer"];
    }
    rendered.text = out.dump(2) + "\n";
    return rendered;
  }
  rendered.text = TRY(render_named(inputs, fmt::format("register.{}.mustache", extension(format)), data, escape_for(format)));
  return rendered;
}

Result<RegisterDiff> render_register_diff(const LoadedFile& old_profile, const DocumentInputs& inputs, DocFormat format)
{
  json data = TRY(document_data(inputs));
  const json regions = TRY(load_regions(inputs.dirs));
  const json old_subs = enrich_subprocessors(old_profile.data, regions);
  const json& new_subs = data["subprocessors"];
  auto find = [](const json& list, const std::string& name) -> const json* {
    for (const auto& item : list) {
      if (lower(item.value("name", "")) == lower(name)) {
        return &item;
      }
    }
    return nullptr;
  };
  json added = json::array();
  json removed = json::array();
  json changed = json::array();
  json notices = json::array(); // changes customers are notified of (Art. 28(2))
  const json new_raw_subs = inputs.profile.data.value("subprocessors", json::array());
  const json old_raw_subs = old_profile.data.value("subprocessors", json::array());
  for (const auto& sub : new_subs) {
    const json* before = find(old_subs, sub.value("name", ""));
    if (before == nullptr) {
      added.push_back(sub);
      continue;
    }
    json changes = json::array();
    const json& raw_new = *find(new_raw_subs, sub.value("name", ""));
    const json& raw_old = *find(old_raw_subs, sub.value("name", ""));
    std::set<std::string> raw_keys;
    for (const auto& [key, v] : raw_old.items()) {
      raw_keys.insert(key);
    }
    for (const auto& [key, v] : raw_new.items()) {
      raw_keys.insert(key);
    }
    for (const auto& key : raw_keys) {
      const json old_value = raw_old.contains(key) ? raw_old[key] : json();
      const json new_value = raw_new.contains(key) ? raw_new[key] : json();
      if (old_value != new_value) {
        const auto text = [&](const json& v) {
          if (key == "certifications" && v.is_array()) {
            return certifications_text(v);
          }
          if (key == "locations" && v.is_array()) {
            return value_text(countries_of(regions, v).all); // countries, as the register shows them
          }
          return value_text(v);
        };
        changes.push_back({{"field", key}, {"old", text(old_value)}, {"new", text(new_value)}});
        // Where and why a subprocessor processes the customer's data: Art. 28(2) notice, as for an addition.
        static const std::set<std::string> notifiable = {"locations", "purpose", "data_categories", "transfer_mechanism",
                                                         "legal_entity"};
        if (notifiable.count(key) && sub.value("customer_data", true)) {
          notices.push_back({{"name", sub["name"]}, {"field", key}, {"old", text(old_value)}, {"new", text(new_value)}});
        }
      }
    }
    if (before->contains("ai") != sub.contains("ai") || (sub.contains("ai") && (*before)["ai"] != sub["ai"])) {
      changes.push_back({{"field", "ai_provider"},
                         {"old", before->contains("ai") ? value_text((*before)["ai"]) : ""},
                         {"new", sub.contains("ai") ? value_text(sub["ai"]) : ""}});
    }
    if (!changes.empty()) {
      changed.push_back({{"name", sub["name"]}, {"changes", changes}});
    }
  }
  for (const auto& sub : old_subs) {
    if (find(new_subs, sub.value("name", "")) == nullptr) {
      removed.push_back(sub);
    }
  }
  const int notice_days = data["organisation"]["subprocessor_notice_days"].is_number_integer()
                              ? data["organisation"]["subprocessor_notice_days"].get<int>()
                              : 30;
  RegisterDiff diff;
  diff.added = added.size();
  diff.removed = removed.size();
  diff.changed = changed.size();
  json d = {{"added", added},
            {"removed", removed},
            {"changed", changed},
            {"has_added", !added.empty()},
            {"has_removed", !removed.empty()},
            {"has_changed", !changed.empty()},
            {"has_changes", !added.empty() || !removed.empty() || !changed.empty()},
            {"notified_changes", notices},
            {"has_notified_changes", !notices.empty()},
            {"has_notice", !added.empty() || !notices.empty()},
            {"added_plural", added.size() != 1},
            {"notice_days", std::to_string(notice_days)},
            {"effective_date", add_days(inputs.date, notice_days)},
            {"old_profile_sha256", old_profile.sha256}};
  data["diff"] = d;
  if (format == DocFormat::json) {
    json out = {{"schema_version", 1},
                {"organisation", data["organisation"]["legal_name"]},
                {"date", data["document"]["date"]},
                {"added", json::array()},
                {"removed", json::array()},
                {"changed", changed},
                {"notified_changes", notices},
                {"notice_days", notice_days},
                {"effective_date", d["effective_date"]},
                {"old_profile_sha256", old_profile.sha256},
                {"new_profile_sha256", inputs.profile.sha256}};
    for (const auto& sub : added) {
      out["added"].push_back(sub["name"]);
    }
    for (const auto& sub : removed) {
      out["removed"].push_back(sub["name"]);
    }
    diff.text = out.dump(2) + "\n";
    return diff;
  }
  diff.text = TRY(render_named(inputs, "register-diff.md.mustache", data, Escape::none));
  return diff;
}

namespace {

// The Art. 46 instrument a subprocessor outside the EEA relies on, named as the DPA's transfer clause
// states it (the profile's transfer_mechanism: SCCs, DPF, adequacy, ...).
std::string onward_mechanism(const std::string& mechanism, bool uk)
{
  const auto m = lower(mechanism);
  std::string text;
  if (m.find("scc") != std::string::npos || m.find("standard contractual") != std::string::npos) {
    text = "Standard Contractual Clauses, Module Three (processor to processor)";
  } else if (m == "dpf" || m.find("privacy framework") != std::string::npos) {
    text = "EU-U.S. Data Privacy Framework (adequacy decision of 10 July 2023)";
  } else if (m == "adequacy") {
    text = "an adequacy decision (Art. 45 GDPR)";
  } else {
    text = mechanism;
  }
  if (uk) {
    text += "; for personal data from the United Kingdom, with the UK International Data Transfer Addendum";
  }
  return text;
}

// What counsel must resolve before signature: clause 3(d) promises flow-down to every subprocessor
// (Art. 28(4)); Annex I's locations should cover Annex III's; clause 3(g) promises deletion at the
// end of service; the transfer clause needs a mechanism for every processor outside the EEA.
std::vector<std::string> dpa_consistency(const json& data)
{
  std::vector<std::string> out;
  std::set<std::string> hosting;
  for (const auto& country : data["organisation"]["hosting_countries"]) {
    hosting.insert(lower(country.get<std::string>()));
  }
  for (const auto& sub : data["subprocessors"]) {
    if (!sub["customer_data"].get<bool>()) {
      continue; // the company's own tools are not subprocessors of the customer's data
    }
    const std::string name = sub.value("name", std::string("(unnamed)"));
    if (!sub["has_dpa"].get<bool>()) {
      out.push_back(fmt::format("subprocessor {} has no signed DPA, while clause 3(d) promises the same obligations "
                                "flow down to every subprocessor (Art. 28(4))",
                                name));
    }
    for (const auto& country : sub["countries"]) {
      if (!hosting.empty() && !hosting.count(lower(country.get<std::string>()))) {
        out.push_back(fmt::format("subprocessor {} processes in {} (Annex III), which Annex I's processing locations "
                                  "({}) do not list",
                                  name, country.get<std::string>(),
                                  value_text(data["organisation"]["hosting_countries"])));
      }
    }
    if (sub["transfers_outside_eea"].get<bool>() && !sub.contains("transfer_mechanism")) {
      out.push_back(fmt::format("subprocessor {} processes in {}, outside the EEA, but the profile states no "
                                "transfer_mechanism for the transfer clause",
                                name, sub["outside_eea_text"].get<std::string>()));
    }
  }
  for (const auto& r : data.value("retention", json::array())) {
    const std::string period = r.is_object() ? r.value("period", std::string()) : std::string();
    const auto text = lower(period);
    if (text.find("indefinite") != std::string::npos || text.find("permanent") != std::string::npos ||
        text.find("forever") != std::string::npos || text.find("no limit") != std::string::npos) {
      out.push_back(fmt::format("retention of {} is \"{}\", which contradicts deletion at the end of service "
                                "(clause 3(g))",
                                r.value("data_category", std::string("(a category)")), period));
    }
  }
  if (!find_path(data, "service_levels.breach_notification_hours")) {
    out.push_back("service_levels.breach_notification_hours is not stated: clause 3(f) promises breach notice "
                  "only \"without undue delay\", with no deadline");
  }
  if (!find_path(data, "organisation.supervisory_authority")) {
    out.push_back("organisation.supervisory_authority is not stated: Annex I.C names no competent supervisory "
                  "authority");
  }
  return out;
}

// The last non-empty line of an address: "1 Fleet Street\nLondon\nUnited Kingdom" -> "United Kingdom".
std::string last_line(const std::string& address)
{
  std::string last;
  std::size_t start = 0;
  while (start <= address.size()) {
    auto end = address.find('\n', start);
    if (end == std::string::npos) {
      end = address.size();
    }
    const auto line = trimmed(address.substr(start, end - start));
    if (!line.empty()) {
      last = line;
    }
    start = end + 1;
  }
  return last;
}

} // namespace

Result<Rendered> render_dpa(const DocumentInputs& inputs, const Customer& customer, DocFormat format)
{
  Rendered rendered;
  json data = TRY(document_data(inputs, &rendered.claims, &rendered.warnings));
  const json regions = TRY(load_regions(inputs.dirs));
  data["customer"] = {{"name", customer.name}};
  if (!customer.address.empty()) {
    data["customer"]["address"] = customer.address;
    data["customer"]["address_oneline"] = one_line(customer.address);
  }
  if (!customer.contact.empty()) {
    data["customer"]["contact"] = customer.contact;
  }

  // The transfer clause: Module Two from the controller to a processor outside the EEA, Module Three
  // (or the instrument the profile states) onward to each subprocessor outside it, the UK Addendum
  // when the controller is in the United Kingdom.
  const std::string customer_country = customer.country.empty() ? last_line(customer.address) : customer.country;
  const auto customer_place = place_of(regions, customer_country);
  const bool uk = customer_place.known && lower(customer_place.country) == "united kingdom";
  json transfer = {{"customer_uk", uk}};
  if (customer_place.known) {
    transfer["customer_country"] = customer_place.country;
  }
  if (const auto* country = find_path(data, "organisation.country"); country && country->is_string()) {
    const auto place = place_of(regions, country->get<std::string>());
    transfer["processor_country"] = place.country;
    transfer["processor_country_in_sentence"] = place.in_sentence;
    transfer["processor_outside_eea"] = !place.eea;
  } else {
    transfer["processor_outside_eea"] = false;
    rendered.warnings.push_back("organisation.country is not stated: the transfer clause cannot say whether the "
                                "processor is outside the EEA (SCC Module Two)");
  }
  json onward = json::array();
  for (const auto& sub : data["processors"]) {
    if (sub["transfers_outside_eea"].get<bool>()) {
      onward.push_back({{"name", sub["name"]},
                        {"countries_text", sub["outside_eea_text"]},
                        {"mechanism_text", onward_mechanism(sub.value("transfer_mechanism", "none stated"), uk)}});
    }
  }
  transfer["onward"] = onward;
  transfer["has_onward"] = !onward.empty();
  data["transfer"] = transfer;
  if (const auto* hours = find_path(data, "service_levels.breach_notification_hours")) {
    data["breach_notification_hours"] = value_text(*hours);
  }
  for (auto& w : dpa_consistency(data)) {
    rendered.warnings.push_back(std::move(w));
  }
  rendered.text = TRY(render_named(inputs, fmt::format("dpa.{}.mustache", extension(format)), data, escape_for(format)));
  return rendered;
}

Result<TrustPage> render_trust_page(const DocumentInputs& inputs, DocFormat format)
{
  TrustPage page;
  const json data = TRY(document_data(inputs, &page.claims, &page.warnings));
  page.page = TRY(render_named(inputs, fmt::format("trust-page.{}.mustache", extension(format)), data, escape_for(format)));
  page.security_txt = TRY(render_named(inputs, "security.txt.mustache", data, Escape::none));
  return page;
}

namespace {

enum class Answer { yes, no, partial, not_applicable, needs_review };

const char* answer_label(Answer answer)
{
  switch (answer) {
  case Answer::yes: return "Yes";
  case Answer::no: return "No";
  case Answer::partial: return "Partial";
  case Answer::not_applicable: return "Not applicable";
  case Answer::needs_review: return "Needs review";
  }
  return "Needs review";
}

} // namespace

Result<Answers> render_answers(const DocumentInputs& inputs, const std::string& questionnaire,
                               const std::string& questionnaire_name, const std::filesystem::path& mapping_path,
                               DocFormat format)
{
  json data = TRY(document_data(inputs));
  const json mapping = TRY(yaml::load_file(mapping_path));
  const std::string mapping_name = mapping_path.string();
  if (!mapping.is_object() || !mapping.contains("questions") || !mapping["questions"].is_object() ||
      !mapping.contains("reasons") || !mapping["reasons"].is_object()) {
    return fail(Errc::config, "{}: a questionnaire mapping needs \"reasons\" and \"questions\" mappings", mapping_name);
  }
  const auto reason = [&](const char* key, const json& vars) -> Result<std::string> {
    if (!mapping["reasons"].contains(key) || !mapping["reasons"][key].is_string()) {
      return fail(Errc::config, "{}: reasons.{} is missing", mapping_name, key);
    }
    return render_text(mapping["reasons"][key].get<std::string>(), fmt::format("{}: reasons.{}", mapping_name, key),
                       vars, Escape::none);
  };

  for (const auto& [id, m] : mapping["questions"].items()) {
    if (!m.is_object() || !string_list_or_absent(m, "checks") || !string_list_or_absent(m, "facts") ||
        !type_or_absent(m, "answer", json::value_t::string) || !type_or_absent(m, "partial", json::value_t::boolean) ||
        !type_or_absent(m, "explanation", json::value_t::string) ||
        (m.contains("answer") && m["answer"] != "Not applicable")) {
      return fail(Errc::config,
                  "{}: questions.{}: checks and facts must be lists of text, explanation text, partial true or "
                  "false, and answer (if any) \"Not applicable\"",
                  mapping_name, id);
    }
  }
  const auto rows = TRY(parse_csv(questionnaire, questionnaire_name));
  if (rows.empty()) {
    return fail(Errc::parse, "{}: the questionnaire is empty", questionnaire_name);
  }
  std::optional<std::size_t> id_col;
  std::optional<std::size_t> question_col;
  std::optional<std::size_t> domain_col;
  for (std::size_t i = 0; i < rows[0].fields.size(); ++i) {
    const auto name = lower(rows[0].fields[i]);
    if (name == "id") {
      id_col = i;
    } else if (name == "question") {
      question_col = i;
    } else if (name == "domain") {
      domain_col = i;
    }
  }
  if (!id_col || !question_col) {
    return fail(Errc::parse, "{}:1: row 1: the header needs columns id and question", questionnaire_name);
  }
  if (rows.size() == 1) {
    return fail(Errc::parse, "{}:1: the questionnaire has no questions (expected a row per question below the header)",
                questionnaire_name);
  }
  // Answers are keyed by id: two questions with one id could not be told apart.
  std::map<std::string, std::size_t> first_line;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (*id_col < rows[r].fields.size()) {
      const auto [it, added] = first_line.emplace(rows[r].fields[*id_col], rows[r].line);
      if (!added) {
        return fail(Errc::parse, "{}:{}: row {}: question id \"{}\" is already used on line {} (expected unique ids)",
                    questionnaire_name, rows[r].line, rows[r].row, it->first, it->second);
      }
    }
  }
  const auto state = results_state(inputs);
  const std::string results_date = state.evaluated;

  json answers = json::array();
  Answers out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.fields.size() != rows[0].fields.size()) {
      return fail(Errc::parse, "{}:{}: row {}: {} fields, the header has {}", questionnaire_name, row.line, row.row,
                  row.fields.size(), rows[0].fields.size());
    }
    const std::string id = row.fields[*id_col];
    json a = {{"id", id}, {"question", row.fields[*question_col]}};
    if (domain_col) {
      a["domain"] = row.fields[*domain_col];
    }
    Answer answer = Answer::needs_review;
    std::string explanation;
    json check_ids = json::array();
    std::string last_passed;
    if (!mapping["questions"].contains(id)) {
      explanation = TRY(reason("unmapped", json::object()));
    } else {
      const json& m = mapping["questions"][id];
      if (m.contains("checks")) {
        check_ids = m["checks"];
      }
      const auto render_explanation = [&]() -> Result<std::string> {
        if (!m.contains("explanation")) {
          return std::string();
        }
        return render_text(value_text(m["explanation"]), fmt::format("{}: questions.{}.explanation", mapping_name, id),
                           data, Escape::none);
      };
      if (m.value("answer", "") == "Not applicable") {
        answer = Answer::not_applicable;
        explanation = TRY(render_explanation());
      } else {
        std::vector<std::string> problems; // reasons for Needs review
        std::vector<std::string> negatives; // reasons for No
        bool facts_hold = true;
        bool fact_false = false;
        if (m.contains("facts")) {
          for (const auto& fact_value : m["facts"]) {
            const auto fact = value_text(fact_value);
            const json* value = find_path(inputs.profile.data, fact);
            if (value == nullptr || value->is_null()) {
              facts_hold = false;
              problems.push_back(TRY(reason("fact_missing", {{"fact", fact}})));
            } else if (!truthy(value)) {
              facts_hold = false;
              fact_false = true;
              negatives.push_back(TRY(reason("fact_false", {{"fact", fact}, {"value", value_text(*value)}})));
            }
          }
        }
        std::size_t passed = 0;
        std::size_t failed = 0;
        std::vector<std::string> failures;
        if (!check_ids.empty()) {
          if (!state.present) {
            problems.push_back(TRY(reason("no_results", json::object())));
          } else if (!state.fresh) {
            problems.push_back(TRY(reason("stale_results", {{"age_days", std::to_string(state.age_days)},
                                                             {"max_age_days", std::to_string(inputs.max_age_days)}})));
          } else {
            for (const auto& id_value : check_ids) {
              const auto check_id = value_text(id_value);
              const json* check = find_check(inputs.results->data, check_id);
              if (check == nullptr) {
                problems.push_back(TRY(reason("check_missing", {{"check", check_id}})));
              } else if ((*check)["status"] == "pass" && waived(*check)) {
                // A waiver accepts a failure for the build; it never answers Yes.
                problems.push_back(TRY(reason("check_inconclusive", {{"check", check_id}, {"status", "waived"}})));
              } else if ((*check)["status"] == "pass") {
                ++passed;
              } else if ((*check)["status"] == "fail") {
                ++failed;
                failures.push_back(TRY(reason("check_failed", {{"check", check_id}, {"date", results_date}})));
              } else {
                problems.push_back(TRY(reason("check_inconclusive", {{"check", check_id},
                                                                     {"status", (*check)["status"].get<std::string>()}})));
              }
            }
          }
        }
        const bool has_facts = m.contains("facts") && !m["facts"].empty();
        const bool checks_all_pass = failed == 0 && problems.empty();
        if (!problems.empty()) {
          answer = Answer::needs_review;
          explanation = value_text(json(problems));
        } else if (!has_facts && check_ids.empty()) {
          answer = Answer::needs_review;
          explanation = TRY(reason("no_basis", json::object()));
        } else if (fact_false && passed > 0) {
          answer = Answer::needs_review; // the profile says no, a check says yes: contradicted
          explanation = TRY(reason("contradicted", json::object())) + " " + value_text(json(negatives));
        } else if (fact_false) {
          answer = Answer::no;
          explanation = value_text(json(negatives)) + (failures.empty() ? "" : " " + value_text(json(failures)));
        } else if (failed > 0 && has_facts && facts_hold && !(m.value("partial", false) && passed > 0)) {
          answer = Answer::needs_review; // the profile says yes, a check says no: contradicted
          explanation = TRY(reason("contradicted", json::object())) + " " + value_text(json(failures));
        } else if (failed > 0 && m.value("partial", false) && passed > 0) {
          answer = Answer::partial;
          explanation = TRY(render_explanation()) + " " + value_text(json(failures));
        } else if (failed > 0) {
          answer = Answer::no;
          explanation = value_text(json(failures));
        } else if (checks_all_pass && facts_hold) {
          answer = Answer::yes;
          explanation = TRY(render_explanation());
          if (passed > 0) {
            last_passed = results_date;
          }
        }
      }
    }
    a["answer"] = answer_label(answer);
    a["explanation"] = explanation;
    a["checks"] = check_ids;
    a["checks_text"] = value_text(check_ids);
    a["last_passed"] = last_passed;
    ++out.counts[answer_label(answer)];
    answers.push_back(a);
  }
  data["answers"] = answers;
  data["questionnaire"] = {{"name", mapping.value("name", "")}};
  if (format == DocFormat::json) {
    json doc = {{"schema_version", 1},
                {"organisation", data["organisation"]["legal_name"]},
                {"date", data["document"]["date"]},
                {"mapping", mapping.value("name", "")},
                {"answers", json::array()}};
    for (auto a : answers) {
      a.erase("checks_text");
      doc["answers"].push_back(a);
    }
    if (data.contains("footer")) {
      doc["provenance"] = data["footer"];
    }
    out.text = doc.dump(2) + "\n";
    return out;
  }
  out.text = TRY(render_named(inputs, fmt::format("answers.{}.mustache", extension(format)), data, escape_for(format)));
  return out;
}

} // namespace complycli::render
