// The company profile (see PROFILE-CONTRACT.md) as tables: every scalar flattened into `profile`, and
// typed tables for regions, people, subprocessors, their certifications and AI providers.

#include "evidence/profile_tables.hpp"

#include "util/file.hpp"

#include <sstream>

namespace complycli::evidence {

namespace fs = std::filesystem;

namespace {

Value text_or_null(const nlohmann::json& object, const char* key)
{
  if (!object.is_object() || !object.contains(key) || object[key].is_null()) {
    return {};
  }
  const auto& v = object[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

Value bool_or_null(const nlohmann::json& object, const char* key)
{
  if (!object.is_object() || !object.contains(key) || !object[key].is_boolean()) {
    return {};
  }
  return int64_t{object[key].get<bool>() ? 1 : 0};
}

// A minimal CSV reader for `people_roster` (fields may be double-quoted; no newlines inside fields).
std::vector<std::string> split_csv(const std::string& line)
{
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

Result<void> load_roster(LoadState& state, const fs::path& csv)
{
  const auto text = TRY(read_text(state, csv, "profile"));
  if (!text) {
    return {};
  }
  TRY_VOID(add_input(state, csv.string(), "people_roster"));
  std::istringstream in(*text);
  std::string line;
  std::vector<std::string> header;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") {
      continue;
    }
    auto fields = split_csv(line);
    if (header.empty()) {
      header = fields;
      continue;
    }
    auto field = [&](const char* name) -> Value {
      for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) {
        if (header[i] == name && !fields[i].empty()) {
          return fields[i];
        }
      }
      return {};
    };
    TRY_VOID(state.db.insert("profile_people", {field("name"), field("role"), field("email"), field("security_training"),
                                                field("background_check"), csv.string(), int64_t{number}, field("status")}));
  }
  return {};
}

// Each item of a list of strings (as text), with the line of the item.
Result<void> load_items(LoadState& state, const char* table, const Value& worker, const nlohmann::json& worker_json,
                        const char* key, const std::string& path, const std::string& file, const yaml::LinedDocument& doc)
{
  if (!worker_json.is_object() || !worker_json.contains(key) || !worker_json[key].is_array()) {
    return {};
  }
  std::size_t i = 0;
  for (const auto& item : worker_json[key]) {
    const std::string item_path = path + "." + key + "[" + std::to_string(i++) + "]";
    TRY_VOID(state.db.insert(table, {worker, item.is_string() ? Value{item.get<std::string>()} : Value{item.dump()}, file,
                                     int64_t{doc.line_of(item_path)}}));
  }
  return {};
}

Result<void> load_ai_workers(LoadState& state, const std::string& name, const yaml::LinedDocument& doc)
{
  std::size_t i = 0;
  for (const auto& w : doc.json["ai_workers"]) {
    const std::string path = "ai_workers[" + std::to_string(i++) + "]";
    const int worker_line = doc.line_of(path);
    // The line of `key` in this worker, else the worker's own line.
    const auto line = [&](const std::string& key) {
      const int at = doc.line_of(path + "." + key);
      return Value{int64_t{at ? at : worker_line}};
    };
    const auto memory = w.is_object() && w.contains("memory") ? w["memory"] : nlohmann::json();
    const auto permissions = w.is_object() && w.contains("permissions") && w["permissions"].is_array()
                                 ? w["permissions"]
                                 : nlohmann::json::array();
    const auto tools = w.is_object() && w.contains("tools") && w["tools"].is_array() ? w["tools"] : nlohmann::json::array();
    const Value id = text_or_null(w, "id");
    const Value memory_retention = memory.is_object() && memory.contains("retention_days") &&
                                           memory["retention_days"].is_number_integer()
                                       ? Value{memory["retention_days"].get<int64_t>()}
                                       : Value{};
    const Value log_retention = w.is_object() && w.contains("log_retention_days") && w["log_retention_days"].is_number_integer()
                                    ? Value{w["log_retention_days"].get<int64_t>()}
                                    : Value{};
    TRY_VOID(state.db.insert(
        "profile_ai_workers",
        {id, text_or_null(w, "name"), text_or_null(w, "owner"), text_or_null(w, "role"), text_or_null(w, "status"),
         text_or_null(w, "model_provider"), text_or_null(memory, "scope"), memory_retention, log_retention,
         text_or_null(w, "last_permission_review"), int64_t{static_cast<int64_t>(permissions.size())}, tools.dump(), name,
         int64_t{worker_line}, line("id"), line("owner"), line("role"), line("model_provider"),
         doc.line_of(path + ".memory.retention_days") ? Value{int64_t{doc.line_of(path + ".memory.retention_days")}}
                                                       : line("memory"),
         line("log_retention_days"), line("last_permission_review"), line("permissions"), line("tools")}));
    std::size_t j = 0;
    for (const auto& perm : permissions) {
      const std::string perm_path = path + ".permissions[" + std::to_string(j++) + "]";
      const auto verbs = perm.is_object() && perm.contains("verbs") ? perm["verbs"] : nlohmann::json::array();
      TRY_VOID(state.db.insert("profile_ai_worker_permissions",
                               {id, text_or_null(perm, "resource"), verbs.dump(), name, int64_t{doc.line_of(perm_path)}}));
    }
    TRY_VOID(load_items(state, "profile_ai_worker_data", id, w, "data_classes", path, name, doc));
    TRY_VOID(load_items(state, "profile_ai_worker_actions", id, w, "actions", path, name, doc));
    if (w.is_object() && w.contains("approvals") && w["approvals"].is_array()) {
      std::size_t k = 0;
      for (const auto& rule : w["approvals"]) {
        const std::string rule_path = path + ".approvals[" + std::to_string(k++) + "]";
        TRY_VOID(state.db.insert("profile_ai_worker_approvals", {id, text_or_null(rule, "action"),
                                                                 text_or_null(rule, "approver_role"), name,
                                                                 int64_t{doc.line_of(rule_path)}}));
      }
    }
  }
  return {};
}

} // namespace

Result<void> load_profile_tables(LoadState& state, const fs::path& file, const yaml::LinedDocument& doc)
{
  const std::string name = file.string();
  const auto& json = doc.json;
  TRY_VOID(add_input(state, name, "profile"));
  TRY_VOID(state.db.insert("profiles", {name, json.contains("organisation") ? text_or_null(json["organisation"], "legal_name") : Value{}}));
  for (const auto& v : doc.values) {
    TRY_VOID(state.db.insert("profile", {v.path, v.type == "null" ? Value{} : Value{v.value}, v.type, name, int64_t{v.line}}));
  }
  const auto line = [&](const std::string& path) { return Value{int64_t{doc.line_of(path)}}; };
  if (json.contains("organisation") && json["organisation"].contains("hosting_regions") &&
      json["organisation"]["hosting_regions"].is_array()) {
    std::size_t i = 0;
    for (const auto& region : json["organisation"]["hosting_regions"]) {
      const std::string path = "organisation.hosting_regions[" + std::to_string(i++) + "]";
      TRY_VOID(state.db.insert("profile_regions", {region.is_string() ? region.get<std::string>() : region.dump(), name, line(path)}));
    }
  }
  if (json.contains("people") && json["people"].is_array()) {
    std::size_t i = 0;
    for (const auto& person : json["people"]) {
      const std::string path = "people[" + std::to_string(i++) + "]";
      TRY_VOID(state.db.insert("profile_people", {text_or_null(person, "name"), text_or_null(person, "role"),
                                                  text_or_null(person, "email"), text_or_null(person, "security_training"),
                                                  text_or_null(person, "background_check"), name, line(path),
                                                  text_or_null(person, "status")}));
    }
  }
  if (json.contains("people_roster") && json["people_roster"].is_string()) {
    fs::path csv = json["people_roster"].get<std::string>();
    if (csv.is_relative()) {
      csv = file.parent_path() / csv;
    }
    TRY_VOID(load_roster(state, csv.lexically_normal()));
  }
  if (json.contains("subprocessors") && json["subprocessors"].is_array()) {
    std::size_t i = 0;
    for (const auto& sub : json["subprocessors"]) {
      const std::string path = "subprocessors[" + std::to_string(i++) + "]";
      const auto locations = sub.is_object() && sub.contains("locations") ? sub["locations"] : nlohmann::json::array();
      TRY_VOID(state.db.insert("profile_subprocessors",
                               {text_or_null(sub, "name"), text_or_null(sub, "purpose"), bool_or_null(sub, "personal_data"),
                                text_or_null(sub, "dpa_signed"), text_or_null(sub, "transfer_mechanism"),
                                locations.dump(), name, line(path)}));
      if (sub.is_object() && sub.contains("certifications") && sub["certifications"].is_array()) {
        std::size_t j = 0;
        for (const auto& cert : sub["certifications"]) {
          const std::string cert_path = path + ".certifications[" + std::to_string(j++) + "]";
          TRY_VOID(state.db.insert("profile_certifications", {text_or_null(sub, "name"), text_or_null(cert, "name"),
                                                              text_or_null(cert, "expires"), name, line(cert_path)}));
        }
      }
    }
  }
  if (json.contains("ai_providers") && json["ai_providers"].is_array()) {
    std::size_t i = 0;
    for (const auto& ai : json["ai_providers"]) {
      const std::string path = "ai_providers[" + std::to_string(i++) + "]";
      const auto models = ai.is_object() && ai.contains("models") ? ai["models"] : nlohmann::json::array();
      TRY_VOID(state.db.insert("profile_ai_providers", {text_or_null(ai, "name"), bool_or_null(ai, "zero_data_retention"),
                                                        bool_or_null(ai, "training_opt_out"), text_or_null(ai, "region"),
                                                        models.dump(), name, line(path)}));
    }
  }
  if (json.contains("ai_workers") && json["ai_workers"].is_array()) {
    TRY_VOID(load_ai_workers(state, name, doc));
  }
  return {};
}

Result<void> load_document(LoadState& state, const fs::path& file, const yaml::LinedDocument& doc)
{
  const std::string name = file.string();
  TRY_VOID(add_input(state, name, "document"));
  for (const auto& v : doc.values) {
    TRY_VOID(state.db.insert("documents", {name, v.path, v.type == "null" ? Value{} : Value{v.value}, v.type, int64_t{v.line}}));
  }
  return {};
}

} // namespace complycli::evidence
