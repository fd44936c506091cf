// Terraform plan or state JSON (`terraform show -json`): one row per resource of the planned values
// (or of the state's values), modules included, with its attributes as JSON; and one row per reference
// of a resource's attribute to another resource, from the plan's `configuration` (the link a value
// that is unknown until apply still has, e.g. a public access block's `bucket`).

#include "evidence/loaders.hpp"

#include "util/file.hpp"
#include "util/utf8.hpp"

#include <nlohmann/json.hpp>

#include <iconv.h>

#include <cerrno>
#include <map>
#include <optional>
#include <set>

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

// A planned resource, as the references need it.
struct Planned {
  std::string address;       // module.a["x"].aws_s3_bucket.b[0]
  std::string module;        // module.a["x"] ('' for the root)
  std::string config_key;    // module.a|aws_s3_bucket.b: its block in `configuration`
  std::optional<std::string> index; // the instance key as written in the address: ["x"] or [0]
};

// `address` without its instance keys: module.a["x"].aws_s3_bucket.b[0] -> module.a.aws_s3_bucket.b.
std::string without_keys(const std::string& address)
{
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < address.size(); ++i) {
    const char c = address[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"' && depth > 0) {
      quoted = true;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  return out;
}

Result<void> add_module(LoadState& state, const std::string& file, const nlohmann::json& module,
                        const std::map<std::string, int>& lines, int depth, std::vector<Planned>& planned)
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
      Planned p{*address, *module_address,
                without_keys(*module_address) + "|" + (*mode == "data" ? "data." : "") + *type + "." + *name, std::nullopt};
      if (const auto key = address->rfind('['); key != std::string::npos && address->back() == ']' &&
                                                 key > address->rfind('.')) {
        p.index = address->substr(key);
      }
      planned.push_back(std::move(p));
    }
  }
  if (auto it = module.find("child_modules"); it != module.end() && it->is_array()) {
    for (const auto& child : *it) {
      TRY_VOID(add_module(state, file, child, lines, depth + 1, planned));
    }
  }
  return {};
}

// The blocks of `configuration`: resources by module path and address, and module outputs' references.
struct Configuration {
  std::map<std::string, const nlohmann::json*> resources;               // "module.a|aws_x.y" -> resource block
  std::map<std::string, std::vector<std::string>> outputs;               // "module.a|out" -> references
};

void read_configuration(const nlohmann::json& module, const std::string& path, Configuration& config, int depth)
{
  if (!module.is_object() || depth > 32) {
    return;
  }
  if (auto it = module.find("resources"); it != module.end() && it->is_array()) {
    for (const auto& resource : *it) {
      if (resource.is_object() && resource.contains("address") && resource["address"].is_string()) {
        config.resources.emplace(path + "|" + resource["address"].get<std::string>(), &resource);
      }
    }
  }
  if (auto it = module.find("outputs"); it != module.end() && it->is_object()) {
    for (const auto& [name, output] : it->items()) {
      const auto refs = output.is_object() && output.contains("expression") && output["expression"].is_object()
                            ? output["expression"].value("references", nlohmann::json::array())
                            : nlohmann::json::array();
      auto& list = config.outputs[path + "|" + name];
      for (const auto& ref : refs) {
        if (ref.is_string()) {
          list.push_back(ref.get<std::string>());
        }
      }
    }
  }
  if (auto it = module.find("module_calls"); it != module.end() && it->is_object()) {
    for (const auto& [name, call] : it->items()) {
      if (call.is_object() && call.contains("module")) {
        read_configuration(call["module"], (path.empty() ? "" : path + ".") + "module." + name, config, depth + 1);
      }
    }
  }
}

// The planned resource that `ref` (as written in the configuration of a resource of module instance
// `module`, itself at instance key `index`) names: Terraform lists both "aws_s3_bucket.b.id" and
// "aws_s3_bucket.b", with or without the instance key; "module.m.out" names what module m's output
// references. Variables, locals and the like name no resource.
void resolve(const std::string& ref, const std::string& module, const std::optional<std::string>& index,
             const Configuration& config, const std::set<std::string>& addresses, std::set<std::string>& targets,
             int depth)
{
  if (depth > 8) {
    return;
  }
  const auto prefix = module.empty() ? std::string() : module + ".";
  if (ref.rfind("module.", 0) == 0) {
    // module.NAME[KEY].OUTPUT -> the output's references, inside that module instance.
    const auto name_end = ref.find_first_of(".[", 7);
    if (name_end == std::string::npos) {
      return;
    }
    auto rest = name_end;
    if (ref[rest] == '[') {
      rest = ref.find("].", rest);
      if (rest == std::string::npos) {
        return;
      }
      ++rest;
    }
    const auto instance = prefix + ref.substr(0, rest);
    const auto output = ref.substr(rest + 1, ref.find('.', rest + 1) - rest - 1);
    const auto it = config.outputs.find(without_keys(instance) + "|" + output);
    if (it == config.outputs.end()) {
      return;
    }
    for (const auto& inner : it->second) {
      resolve(inner, instance, std::nullopt, config, addresses, targets, depth + 1);
    }
    return;
  }
  for (const char* skip : {"var.", "local.", "each.", "count.", "path.", "terraform.", "self."}) {
    if (ref.rfind(skip, 0) == 0) {
      return;
    }
  }
  std::string candidate = prefix + ref;
  while (true) {
    if (addresses.count(candidate) != 0) {
      targets.insert(candidate);
      return;
    }
    if (index && addresses.count(candidate + *index) != 0) {
      targets.insert(candidate + *index); // for_each/count pairs: aws_x.y[each.key] is listed as aws_x.y
      return;
    }
    const auto dot = candidate.rfind('.');
    if (dot == std::string::npos || dot <= prefix.size() || candidate.find(']', dot) != std::string::npos) {
      return;
    }
    candidate.resize(dot);
  }
}

Result<void> add_references(LoadState& state, const std::string& file, const nlohmann::json& plan,
                            const std::vector<Planned>& planned)
{
  if (!plan.contains("configuration") || !plan["configuration"].is_object() ||
      !plan["configuration"].contains("root_module")) {
    return {};
  }
  Configuration config;
  read_configuration(plan["configuration"]["root_module"], "", config, 0);
  std::set<std::string> addresses;
  for (const auto& p : planned) {
    addresses.insert(p.address);
  }
  // Attributes unknown until apply (resource_changes[].change.after_unknown).
  std::map<std::string, const nlohmann::json*> unknown;
  if (auto it = plan.find("resource_changes"); it != plan.end() && it->is_array()) {
    for (const auto& change : *it) {
      if (change.is_object() && change.contains("address") && change["address"].is_string() &&
          change.contains("change") && change["change"].is_object() && change["change"].contains("after_unknown")) {
        unknown.emplace(change["address"].get<std::string>(), &change["change"]["after_unknown"]);
      }
    }
  }
  for (const auto& p : planned) {
    const auto block = config.resources.find(p.config_key);
    if (block == config.resources.end() || !block->second->contains("expressions") ||
        !(*block->second)["expressions"].is_object()) {
      continue;
    }
    const auto u = unknown.find(p.address);
    for (const auto& [attribute, expression] : (*block->second)["expressions"].items()) {
      if (!expression.is_object() || !expression.contains("references") || !expression["references"].is_array()) {
        continue;
      }
      std::set<std::string> targets;
      for (const auto& ref : expression["references"]) {
        if (ref.is_string()) {
          resolve(ref.get<std::string>(), p.module, p.index, config, addresses, targets, 0);
        }
      }
      const bool is_unknown = u != unknown.end() && u->second->is_object() && u->second->contains(attribute) &&
                              (*u->second)[attribute] == true;
      for (const auto& target : targets) {
        if (target != p.address) {
          TRY_VOID(state.db.insert("terraform_references",
                                   {p.address, attribute, target, int64_t{is_unknown ? 1 : 0}, file}));
        }
      }
    }
  }
  return {};
}

// UTF-16 text with a byte-order mark, as UTF-8; nullopt when it is not well-formed UTF-16.
std::optional<std::string> utf16_to_utf8(const std::string& bytes)
{
  const bool little = static_cast<unsigned char>(bytes[0]) == 0xFF;
  iconv_t cd = iconv_open("UTF-8", little ? "UTF-16LE" : "UTF-16BE");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return std::nullopt;
  }
  std::string in = bytes.substr(2);
  std::string out(in.size() * 2 + 16, '\0');
  char* in_ptr = in.data();
  std::size_t in_left = in.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  const auto done = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv_close(cd);
  if (done == static_cast<std::size_t>(-1) || in_left != 0) {
    return std::nullopt;
  }
  out.resize(out.size() - out_left);
  return out;
}

} // namespace

Result<std::optional<std::string>> read_json_text(LoadState& state, const fs::path& file, const std::string& kind)
{
  auto bytes = util::read_file(file);
  if (!bytes) {
    TRY_VOID(add_error(state, file.string(), 0, kind, bytes.error().message));
    return std::nullopt;
  }
  std::string text = std::move(*bytes);
  const auto starts = [&text](std::initializer_list<unsigned char> mark) {
    return text.size() >= mark.size() && std::equal(mark.begin(), mark.end(), text.begin(), [](unsigned char m, char c) {
             return m == static_cast<unsigned char>(c);
           });
  };
  if (starts({0xFF, 0xFE}) || starts({0xFE, 0xFF})) {
    // Windows PowerShell 5.1 saves `terraform show -json plan > plan.json` as UTF-16LE with a mark; JSON
    // text may be UTF-16 (RFC 8259 section 8.1 lets a parser accept it).
    auto converted = utf16_to_utf8(text);
    if (!converted) {
      TRY_VOID(add_error(state, file.string(), 1, kind,
                         "the file starts with a UTF-16 byte-order mark but is not well-formed UTF-16 (expected UTF-8 or UTF-16 text)"));
      return std::nullopt;
    }
    text = std::move(*converted);
  } else if (starts({0xEF, 0xBB, 0xBF})) {
    text.erase(0, 3); // PowerShell 7's `Out-File -Encoding utf8BOM`
  }
  if (const auto problem = util::text_problem(text)) {
    TRY_VOID(add_error(state, file.string(), problem->line, kind, problem->message));
    return std::nullopt;
  }
  return text;
}

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
  std::vector<Planned> planned;
  TRY_VOID(add_module(state, name, *root, lines, 0, planned));
  return add_references(state, name, plan, planned);
}

} // namespace complycli::evidence
