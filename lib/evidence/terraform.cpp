// Terraform plan or state JSON (`terraform show -json`): one row per resource of the planned values
// (or of the state's values), modules included, with its attributes as JSON.

#include "evidence/loaders.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>

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

// The string `key` of `object`, `fallback` when absent or null; nullopt when it is another type
// (nlohmann's value() would throw).
std::optional<std::string> text_field(const nlohmann::json& object, const char* key, const char* fallback = "")
{
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return fallback;
  }
  if (!it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

Result<void> add_module(LoadState& state, const std::string& file, const nlohmann::json& module,
                        const std::map<std::string, int>& lines, int depth)
{
  if (!module.is_object() || depth > 32) {
    return {};
  }
  const auto module_address = text_field(module, "address");
  if (!module_address) {
    return add_error(state, file, 0, "terraform",
                     fmt::format("expected a module's \"address\" to be a string, found {}", module["address"].type_name()));
  }
  if (auto it = module.find("resources"); it != module.end() && it->is_array()) {
    std::size_t index = 0;
    for (const auto& resource : *it) {
      ++index;
      if (!resource.is_object()) {
        continue;
      }
      const auto address = text_field(resource, "address");
      const auto mode = text_field(resource, "mode", "managed");
      const auto type = text_field(resource, "type");
      const auto name = text_field(resource, "name");
      const auto provider = text_field(resource, "provider_name");
      if (!address || !mode || !type || !name || !provider) {
        const char* field = !address ? "address" : !mode ? "mode" : !type ? "type" : !name ? "name" : "provider_name";
        const auto line = address ? lines.find(*address) : lines.end();
        TRY_VOID(add_error(state, file, line == lines.end() ? 0 : line->second, "terraform",
                           fmt::format("resource {} of module \"{}\": expected \"{}\" to be a string, found {}", index,
                                       *module_address, field, resource[field].type_name())));
        continue;
      }
      const auto line = lines.find(*address);
      const auto values = resource.contains("values") ? resource["values"] : nlohmann::json::object();
      TRY_VOID(state.db.insert("terraform_resources",
                               {*address, *mode, *type, *name, *module_address, *provider,
                                values.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), file,
                                line == lines.end() ? Value{} : Value{int64_t{line->second}}}));
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
