// Terraform plan or state JSON (`terraform show -json`): one row per resource of the planned values
// (or of the state's values), modules included, with its attributes as JSON.

#include "evidence/loaders.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace complycli::evidence {

namespace fs = std::filesystem;

namespace {

// The line where each `"address": "..."` first appears (JSON parsers do not keep positions).
std::map<std::string, int> address_lines(const std::string& text)
{
  std::map<std::string, int> lines;
  int line = 1;
  std::size_t scanned = 0;
  std::size_t pos = 0;
  while ((pos = text.find("\"address\"", pos)) != std::string::npos) {
    for (; scanned < pos; ++scanned) {
      if (text[scanned] == '\n') {
        ++line;
      }
    }
    std::size_t p = pos + 9;
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r' || text[p] == ':')) {
      ++p;
    }
    if (p < text.size() && text[p] == '"') {
      const auto end = text.find('"', p + 1);
      if (end != std::string::npos) {
        lines.emplace(text.substr(p + 1, end - p - 1), line);
      }
    }
    pos += 9;
  }
  return lines;
}

Result<void> add_module(LoadState& state, const std::string& file, const nlohmann::json& module,
                        const std::map<std::string, int>& lines, int depth)
{
  if (!module.is_object() || depth > 32) {
    return {};
  }
  const std::string module_address = module.value("address", "");
  if (auto it = module.find("resources"); it != module.end() && it->is_array()) {
    for (const auto& resource : *it) {
      if (!resource.is_object()) {
        continue;
      }
      const std::string address = resource.value("address", "");
      const auto line = lines.find(address);
      const auto values = resource.contains("values") ? resource["values"] : nlohmann::json::object();
      TRY_VOID(state.db.insert("terraform_resources",
                               {address, resource.value("mode", "managed"), resource.value("type", ""),
                                resource.value("name", ""), module_address, resource.value("provider_name", ""),
                                values.dump(), file, line == lines.end() ? Value{} : Value{int64_t{line->second}}}));
    }
  }
  if (auto it = module.find("child_modules"); it != module.end() && it->is_array()) {
    for (const auto& child : *it) {
      TRY_VOID(add_module(state, file, child, lines, depth + 1));
    }
  }
  return {};
}

} // namespace

Result<void> load_terraform(LoadState& state, const fs::path& file, const std::string& text,
                            const nlohmann::json& plan)
{
  const std::string name = file.string();
  const auto lines = address_lines(text);
  const nlohmann::json* root = nullptr;
  if (plan.contains("planned_values") && plan["planned_values"].contains("root_module")) {
    root = &plan["planned_values"]["root_module"];
  } else if (plan.contains("values") && plan["values"].is_object() && plan["values"].contains("root_module")) {
    root = &plan["values"]["root_module"];
  }
  if (!root) {
    return add_error(state, name, 1, "terraform", "no planned_values.root_module or values.root_module");
  }
  TRY_VOID(add_input(state, name, "terraform"));
  return add_module(state, name, *root, lines, 0);
}

} // namespace complycli::evidence
