// The typed profile: conversion from the validated JSON document and back, and SHA-256 of sources.

#include "profile/profile.hpp"

#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

namespace complycli::profile {

using nlohmann::json;

std::string Diagnostic::to_string() const
{
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

namespace {

// Readers for a validated document: types were checked, so only presence varies.
std::string text(const json& j, const char* key)
{
  return j.value(key, std::string());
}

std::optional<std::string> optional_text(const json& j, const char* key)
{
  if (auto it = j.find(key); it != j.end() && it->is_string()) {
    return it->get<std::string>();
  }
  return std::nullopt;
}

std::optional<int64_t> optional_number(const json& j, const char* key)
{
  if (auto it = j.find(key); it != j.end() && it->is_number_integer()) {
    return it->get<int64_t>();
  }
  return std::nullopt;
}

std::optional<Date> optional_date(const json& j, const char* key)
{
  if (auto text_value = optional_text(j, key)) {
    return util::parse_date(*text_value);
  }
  return std::nullopt;
}

Date date(const json& j, const char* key)
{
  return optional_date(j, key).value_or(Date{});
}

std::vector<std::string> list(const json& j, const char* key)
{
  if (auto it = j.find(key); it != j.end() && it->is_array()) {
    return it->get<std::vector<std::string>>();
  }
  return {};
}

std::optional<std::vector<std::string>> optional_list(const json& j, const char* key)
{
  if (auto it = j.find(key); it != j.end() && it->is_array()) {
    return it->get<std::vector<std::string>>();
  }
  return std::nullopt;
}

std::optional<bool> optional_flag(const json& j, const char* key)
{
  if (auto it = j.find(key); it != j.end() && it->is_boolean()) {
    return it->get<bool>();
  }
  return std::nullopt;
}

const json& member(const json& j, const char* key)
{
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

const json* optional_member(const json& j, const char* key)
{
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

// Writers: leave absent optional values out.
void put(json& j, const char* key, const std::optional<std::string>& value)
{
  if (value) {
    j[key] = *value;
  }
}

void put(json& j, const char* key, const std::optional<int64_t>& value)
{
  if (value) {
    j[key] = *value;
  }
}

void put(json& j, const char* key, const std::optional<Date>& value)
{
  if (value) {
    j[key] = util::format_date(*value);
  }
}

void put(json& j, const char* key, const std::optional<bool>& value)
{
  if (value) {
    j[key] = *value;
  }
}

void put(json& j, const char* key, const std::optional<std::vector<std::string>>& value)
{
  if (value) {
    j[key] = *value;
  }
}

std::optional<std::map<std::string, OwnCertification>> read_own_certifications(const json& document)
{
  const json* certifications = optional_member(document, "certifications");
  if (!certifications) {
    return std::nullopt;
  }
  std::map<std::string, OwnCertification> out;
  for (const auto& [name, x] : certifications->items()) {
    out[name] = OwnCertification{text(x, "status"), optional_text(x, "scope"), optional_date(x, "issued"),
                                 optional_date(x, "expires"), optional_date(x, "target")};
  }
  return out;
}

json write_own_certifications(const std::map<std::string, OwnCertification>& certifications)
{
  json out = json::object();
  for (const auto& [name, c] : certifications) {
    json x{{"status", c.status}};
    put(x, "scope", c.scope);
    put(x, "issued", c.issued);
    put(x, "expires", c.expires);
    put(x, "target", c.target);
    out[name] = x;
  }
  return out;
}

std::optional<ServiceLevels> read_service_levels(const json& document)
{
  const json* levels = optional_member(document, "service_levels");
  if (!levels) {
    return std::nullopt;
  }
  ServiceLevels out{optional_number(*levels, "breach_notification_hours"),
                    optional_number(*levels, "vulnerability_acknowledgement_hours"), std::nullopt};
  if (const json* patch = optional_member(*levels, "patch_days")) {
    out.patch_days = ServiceLevels::PatchDays{optional_number(*patch, "critical"), optional_number(*patch, "high"),
                                              optional_number(*patch, "medium"), optional_number(*patch, "low")};
  }
  return out;
}

json write_service_levels(const ServiceLevels& levels)
{
  json out = json::object();
  put(out, "breach_notification_hours", levels.breach_notification_hours);
  put(out, "vulnerability_acknowledgement_hours", levels.vulnerability_acknowledgement_hours);
  if (levels.patch_days) {
    json patch = json::object();
    put(patch, "critical", levels.patch_days->critical);
    put(patch, "high", levels.patch_days->high);
    put(patch, "medium", levels.patch_days->medium);
    put(patch, "low", levels.patch_days->low);
    out["patch_days"] = patch;
  }
  return out;
}

template <typename T, typename Read>
std::optional<T> read_control(const json& controls, const char* key, Read read)
{
  if (const json* j = optional_member(controls, key)) {
    return read(*j);
  }
  return std::nullopt;
}

Controls read_controls(const json& j)
{
  using C = Controls;
  C c;
  c.penetration_test = read_control<C::PenetrationTest>(j, "penetration_test", [](const json& x) {
    return C::PenetrationTest{date(x, "last"), optional_text(x, "provider"), optional_text(x, "report_url")};
  });
  c.backup_restore_test =
      read_control<C::LastDone>(j, "backup_restore_test", [](const json& x) { return C::LastDone{date(x, "last")}; });
  c.access_review =
      read_control<C::LastDone>(j, "access_review", [](const json& x) { return C::LastDone{date(x, "last")}; });
  c.incident_response_plan = read_control<C::Review>(
      j, "incident_response_plan", [](const json& x) { return C::Review{date(x, "last_reviewed")}; });
  c.mfa = read_control<C::Mfa>(
      j, "mfa", [](const json& x) { return C::Mfa{x.value("enforced", false), list(x, "methods")}; });
  c.sso = read_control<C::Sso>(
      j, "sso", [](const json& x) { return C::Sso{x.value("enforced", false), optional_text(x, "provider")}; });
  c.account_lockout = read_control<C::AccountLockout>(j, "account_lockout", [](const json& x) {
    return C::AccountLockout{x.value("enabled", false), optional_number(x, "threshold"),
                             optional_number(x, "duration_minutes")};
  });
  c.background_checks = read_control<C::BackgroundChecks>(
      j, "background_checks", [](const json& x) { return C::BackgroundChecks{x.value("required", false)}; });
  c.encryption = read_control<C::Encryption>(j, "encryption", [](const json& x) {
    return C::Encryption{optional_text(x, "at_rest"), optional_text(x, "in_transit_min_tls")};
  });
  c.audit_logging = read_control<C::AuditLogging>(j, "audit_logging", [](const json& x) {
    return C::AuditLogging{x.value("enabled", false), optional_number(x, "retention_days")};
  });
  c.client_isolation = read_control<C::ClientIsolation>(
      j, "client_isolation", [](const json& x) { return C::ClientIsolation{x.value("per_matter_keys", false)}; });
  return c;
}

json write_controls(const Controls& c)
{
  json j = json::object();
  if (c.penetration_test) {
    json x{{"last", util::format_date(c.penetration_test->last)}};
    put(x, "provider", c.penetration_test->provider);
    put(x, "report_url", c.penetration_test->report_url);
    j["penetration_test"] = x;
  }
  if (c.backup_restore_test) {
    j["backup_restore_test"] = {{"last", util::format_date(c.backup_restore_test->last)}};
  }
  if (c.access_review) {
    j["access_review"] = {{"last", util::format_date(c.access_review->last)}};
  }
  if (c.incident_response_plan) {
    j["incident_response_plan"] = {{"last_reviewed", util::format_date(c.incident_response_plan->last_reviewed)}};
  }
  if (c.mfa) {
    json x{{"enforced", c.mfa->enforced}};
    if (!c.mfa->methods.empty()) {
      x["methods"] = c.mfa->methods;
    }
    j["mfa"] = x;
  }
  if (c.sso) {
    json x{{"enforced", c.sso->enforced}};
    put(x, "provider", c.sso->provider);
    j["sso"] = x;
  }
  if (c.account_lockout) {
    json x{{"enabled", c.account_lockout->enabled}};
    put(x, "threshold", c.account_lockout->threshold);
    put(x, "duration_minutes", c.account_lockout->duration_minutes);
    j["account_lockout"] = x;
  }
  if (c.background_checks) {
    j["background_checks"] = {{"required", c.background_checks->required}};
  }
  if (c.encryption) {
    json x = json::object();
    put(x, "at_rest", c.encryption->at_rest);
    put(x, "in_transit_min_tls", c.encryption->in_transit_min_tls);
    j["encryption"] = x;
  }
  if (c.audit_logging) {
    json x{{"enabled", c.audit_logging->enabled}};
    put(x, "retention_days", c.audit_logging->retention_days);
    j["audit_logging"] = x;
  }
  if (c.client_isolation) {
    j["client_isolation"] = {{"per_matter_keys", c.client_isolation->per_matter_keys}};
  }
  return j;
}

json write_contact(const Contact& contact)
{
  return {{"name", contact.name}, {"email", contact.email}};
}

} // namespace

Profile from_document(const json& document)
{
  Profile p;
  const json& org = member(document, "organisation");
  const json& contacts = member(org, "contacts");
  const json& disclosure = member(contacts, "vulnerability_disclosure");
  p.organisation = Organisation{
      text(org, "legal_name"),
      optional_text(org, "trading_name"),
      text(org, "address"),
      optional_text(org, "country"),
      text(org, "website"),
      list(org, "hosting_regions"),
      optional_number(org, "subprocessor_notice_days").value_or(30),
      Contact{text(member(contacts, "dpo"), "name"), text(member(contacts, "dpo"), "email")},
      Contact{text(member(contacts, "security"), "name"), text(member(contacts, "security"), "email")},
      DisclosureContact{text(disclosure, "email"), optional_text(disclosure, "url"),
                        optional_text(disclosure, "policy_url"), optional_text(disclosure, "security_txt_url")},
      std::nullopt,
  };
  if (const json* authority = optional_member(org, "supervisory_authority")) {
    p.organisation.supervisory_authority = SupervisoryAuthority{text(*authority, "name"), optional_text(*authority, "url")};
  }
  for (const auto& x : document.value("products", json::array())) {
    p.products.push_back(Product{text(x, "name"), optional_text(x, "description"), list(x, "data_categories"),
                                 list(x, "data_subjects"), optional_list(x, "special_categories"),
                                 optional_flag(x, "criminal_offence_data")});
  }
  for (const auto& x : document.value("retention", json::array())) {
    p.retention.push_back(Retention{text(x, "data_category"), text(x, "period"), optional_number(x, "days")});
  }
  p.controls = read_controls(member(document, "controls"));
  for (const auto& x : document.value("people", json::array())) {
    p.people.push_back(Person{text(x, "name"), optional_text(x, "role"), optional_text(x, "email"),
                              optional_date(x, "security_training"), optional_date(x, "background_check"),
                              optional_text(x, "status")});
  }
  p.people_roster = optional_text(document, "people_roster");
  for (const auto& x : document.value("ai_providers", json::array())) {
    p.ai_providers.push_back(AiProvider{text(x, "name"), list(x, "models"), optional_text(x, "purpose"),
                                        x.value("zero_data_retention", false), x.value("training_opt_out", false),
                                        optional_text(x, "region")});
  }
  for (const auto& x : document.value("subprocessors", json::array())) {
    Subprocessor s{text(x, "name"),
                   optional_text(x, "legal_entity"),
                   text(x, "purpose"),
                   list(x, "data_categories"),
                   x.value("personal_data", true),
                   list(x, "locations"),
                   optional_text(x, "transfer_mechanism"),
                   {},
                   optional_date(x, "dpa_signed"),
                   optional_text(x, "url"),
                   optional_date(x, "added"),
                   x.value("processes_customer_data", true),
                   optional_text(x, "address"),
                   optional_text(x, "contact_email")};
    for (const auto& c : x.value("certifications", json::array())) {
      s.certifications.push_back(Certification{text(c, "name"), optional_date(c, "expires")});
    }
    p.subprocessors.push_back(std::move(s));
  }
  for (const auto& x : document.value("ai_workers", json::array())) {
    AiWorker w;
    w.id = text(x, "id");
    w.name = text(x, "name");
    w.owner = text(x, "owner");
    w.role = text(x, "role");
    w.status = text(x, "status");
    for (const auto& perm : x.value("permissions", json::array())) {
      w.permissions.push_back(AiWorker::Permission{text(perm, "resource"), list(perm, "verbs")});
    }
    w.tools = list(x, "tools");
    w.model_provider = optional_text(x, "model_provider");
    w.data_classes = list(x, "data_classes");
    w.actions = list(x, "actions");
    if (const json* memory = optional_member(x, "memory")) {
      w.memory = AiWorker::Memory{text(*memory, "scope"), optional_number(*memory, "retention_days")};
    }
    for (const auto& rule : x.value("approvals", json::array())) {
      w.approvals.push_back(AiWorker::Approval{text(rule, "action"), text(rule, "approver_role")});
    }
    w.log_retention_days = optional_number(x, "log_retention_days");
    w.last_permission_review = optional_date(x, "last_permission_review");
    p.ai_workers.push_back(std::move(w));
  }
  p.certifications = read_own_certifications(document);
  p.service_levels = read_service_levels(document);
  return p;
}

json to_json(const Profile& p)
{
  json j = json::object();
  j["schema_version"] = schema_version;

  const auto& o = p.organisation;
  json org{{"legal_name", o.legal_name},
           {"address", o.address},
           {"website", o.website},
           {"hosting_regions", o.hosting_regions},
           {"subprocessor_notice_days", o.subprocessor_notice_days}};
  put(org, "trading_name", o.trading_name);
  put(org, "country", o.country);
  if (o.supervisory_authority) {
    json authority{{"name", o.supervisory_authority->name}};
    put(authority, "url", o.supervisory_authority->url);
    org["supervisory_authority"] = authority;
  }
  json disclosure{{"email", o.vulnerability_disclosure.email}};
  put(disclosure, "url", o.vulnerability_disclosure.url);
  put(disclosure, "policy_url", o.vulnerability_disclosure.policy_url);
  put(disclosure, "security_txt_url", o.vulnerability_disclosure.security_txt_url);
  org["contacts"] = {{"dpo", write_contact(o.dpo)},
                     {"security", write_contact(o.security)},
                     {"vulnerability_disclosure", disclosure}};
  j["organisation"] = org;

  j["products"] = json::array();
  for (const auto& x : p.products) {
    json product{{"name", x.name}, {"data_categories", x.data_categories}, {"data_subjects", x.data_subjects}};
    put(product, "description", x.description);
    put(product, "special_categories", x.special_categories);
    put(product, "criminal_offence_data", x.criminal_offence_data);
    j["products"].push_back(product);
  }
  if (!p.retention.empty()) {
    j["retention"] = json::array();
    for (const auto& x : p.retention) {
      json entry{{"data_category", x.data_category}, {"period", x.period}};
      put(entry, "days", x.days);
      j["retention"].push_back(entry);
    }
  }
  const json controls = write_controls(p.controls);
  if (!controls.empty()) {
    j["controls"] = controls;
  }
  if (!p.people.empty()) {
    j["people"] = json::array();
    for (const auto& x : p.people) {
      json person{{"name", x.name}};
      put(person, "role", x.role);
      put(person, "email", x.email);
      put(person, "security_training", x.security_training);
      put(person, "background_check", x.background_check);
      put(person, "status", x.status);
      j["people"].push_back(person);
    }
  }
  put(j, "people_roster", p.people_roster);
  if (!p.ai_providers.empty()) {
    j["ai_providers"] = json::array();
    for (const auto& x : p.ai_providers) {
      json provider{{"name", x.name},
                    {"zero_data_retention", x.zero_data_retention},
                    {"training_opt_out", x.training_opt_out}};
      if (!x.models.empty()) {
        provider["models"] = x.models;
      }
      put(provider, "purpose", x.purpose);
      put(provider, "region", x.region);
      j["ai_providers"].push_back(provider);
    }
  }
  j["subprocessors"] = json::array();
  for (const auto& x : p.subprocessors) {
    json s{{"name", x.name},
           {"purpose", x.purpose},
           {"data_categories", x.data_categories},
           {"personal_data", x.personal_data},
           {"locations", x.locations}};
    put(s, "legal_entity", x.legal_entity);
    put(s, "transfer_mechanism", x.transfer_mechanism);
    if (!x.certifications.empty()) {
      s["certifications"] = json::array();
      for (const auto& c : x.certifications) {
        json cert{{"name", c.name}};
        put(cert, "expires", c.expires);
        s["certifications"].push_back(cert);
      }
    }
    put(s, "dpa_signed", x.dpa_signed);
    put(s, "url", x.url);
    put(s, "added", x.added);
    s["processes_customer_data"] = x.processes_customer_data;
    put(s, "address", x.address);
    put(s, "contact_email", x.contact_email);
    j["subprocessors"].push_back(s);
  }
  if (!p.ai_workers.empty()) {
    j["ai_workers"] = json::array();
    for (const auto& w : p.ai_workers) {
      json worker{{"id", w.id}, {"name", w.name}, {"owner", w.owner}, {"role", w.role}, {"status", w.status}};
      if (!w.permissions.empty()) {
        worker["permissions"] = json::array();
        for (const auto& perm : w.permissions) {
          worker["permissions"].push_back({{"resource", perm.resource}, {"verbs", perm.verbs}});
        }
      }
      if (!w.tools.empty()) {
        worker["tools"] = w.tools;
      }
      put(worker, "model_provider", w.model_provider);
      if (!w.data_classes.empty()) {
        worker["data_classes"] = w.data_classes;
      }
      if (!w.actions.empty()) {
        worker["actions"] = w.actions;
      }
      if (w.memory) {
        json memory{{"scope", w.memory->scope}};
        put(memory, "retention_days", w.memory->retention_days);
        worker["memory"] = memory;
      }
      if (!w.approvals.empty()) {
        worker["approvals"] = json::array();
        for (const auto& rule : w.approvals) {
          worker["approvals"].push_back({{"action", rule.action}, {"approver_role", rule.approver_role}});
        }
      }
      put(worker, "log_retention_days", w.log_retention_days);
      put(worker, "last_permission_review", w.last_permission_review);
      j["ai_workers"].push_back(worker);
    }
  }
  if (p.certifications) {
    j["certifications"] = write_own_certifications(*p.certifications);
  }
  if (p.service_levels) {
    j["service_levels"] = write_service_levels(*p.service_levels);
  }
  return j;
}

const AiWorker* find_worker(const Profile& profile, std::string_view id)
{
  for (const auto& worker : profile.ai_workers) {
    if (worker.id == id) {
      return &worker;
    }
  }
  return nullptr;
}

Result<void> check_actor(const Profile& profile, std::string_view actor)
{
  constexpr std::string_view prefix = "worker:";
  if (!actor.starts_with(prefix) || profile.ai_workers.empty()) {
    return {};
  }
  const auto id = actor.substr(prefix.size());
  const AiWorker* worker = find_worker(profile, id);
  if (!worker) {
    return fail_with_hint(Errc::usage, fmt::format("the profile {} lists the AI workers that may act", profile.source.string()),
                          "unknown AI worker \"{}\": no worker of the profile has that id", id);
  }
  if (worker->status == "retired") {
    return fail_with_hint(Errc::usage, "a retired worker's id is never reused; give the new worker its own id",
                          "AI worker \"{}\" is retired and may not act", id);
  }
  return {};
}

Result<void> check_approver(const Profile& profile, std::string_view person)
{
  if (person.starts_with("worker:")) {
    return fail_with_hint(Errc::usage, "name the person who approved the action",
                          "an AI worker cannot approve an action: \"{}\"", person);
  }
  if (profile.ai_workers.empty()) {
    return {};
  }
  for (const auto& p : profile.people) {
    if (p.name == person) {
      if (p.status && *p.status == "left") {
        return fail(Errc::usage, "\"{}\" has left (status: left in the profile's people) and cannot approve", person);
      }
      return {};
    }
  }
  return fail_with_hint(Errc::usage, "give the name exactly as in the profile's people (or people_roster)",
                        "\"{}\" is not a person of the profile {}", person, profile.source.string());
}

Result<std::filesystem::path> workspace_profile(const core::Workspace& workspace)
{
  const auto settings = TRY(core::load_settings(workspace));
  if (!settings.profile) {
    return fail_with_hint(Errc::usage, "name a profile file, or set one with `complycli init --profile FILE`",
                          "no profile given and the workspace at {} names none", workspace.dir.string());
  }
  if (settings.profile->is_relative()) {
    return workspace.project_dir() / *settings.profile;
  }
  return *settings.profile;
}

Result<std::string> sha256_hex(std::string_view bytes)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return fail(Errc::io, "SHA-256 failed in OpenSSL");
  }
  return util::to_hex(std::span<const uint8_t>(digest, length));
}

Result<std::string> file_sha256(const std::filesystem::path& path)
{
  const auto bytes = TRY(util::read_file(path));
  return sha256_hex(bytes);
}

} // namespace complycli::profile
