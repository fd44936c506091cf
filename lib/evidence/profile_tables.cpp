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
                                                field("background_check"), csv.string(), int64_t{number}}));
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
                                                  text_or_null(person, "background_check"), name, line(path)}));
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
