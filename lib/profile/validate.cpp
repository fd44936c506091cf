// The validator: walks a parsed YAML/JSON document against the schema (profile/schema.hpp), builds the
// normalised JSON form and collects every problem with its line and column; then the checks that span
// keys (duplicate subprocessors, AI providers that are not subprocessors, the people roster).

#include "profile/profile.hpp"
#include "profile/roster.hpp"
#include "profile/schema.hpp"
#include "util/file.hpp"
#include "yaml/node.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

namespace complycli::profile {

namespace {

using yaml::Type;

// The type a scalar resolves to: the YAML 1.2 core schema, as everywhere else (yaml/node.hpp).
Type resolve(const YAML::Node& node)
{
  return node.IsNull() ? Type::null : yaml::scalar_type(node);
}

// What a node is, for "got ..." in messages.
std::string found(const YAML::Node& node)
{
  if (node.IsMap()) {
    return "a mapping";
  }
  if (node.IsSequence()) {
    return "a list";
  }
  switch (resolve(node)) {
  case Type::null: return "nothing";
  case Type::boolean: return node.Scalar();
  case Type::integer:
  case Type::real: return fmt::format("the number {}", node.Scalar());
  case Type::string: break;
  }
  std::string text = node.Scalar();
  if (text.size() > 40) {
    text = text.substr(0, 37) + "...";
  }
  return fmt::format("\"{}\"", text);
}

bool valid_mark(const YAML::Mark& mark)
{
  return mark.line >= 0 && mark.column >= 0;
}

std::string lower(std::string_view text)
{
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto first = out.find_first_not_of(" \t");
  const auto last = out.find_last_not_of(" \t");
  return first == std::string::npos ? "" : out.substr(first, last - first + 1);
}

std::string join_path(const std::string& parent, std::string_view key)
{
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

class Walker {
public:
  Walker(std::string file, std::vector<Diagnostic>& diagnostics)
      : m_file(std::move(file)), m_diagnostics(diagnostics)
  {
  }

  // A mapping whose keys are `field.children`.
  nlohmann::json object(const YAML::Node& node, const Field& field, const YAML::Mark& where, const std::string& path)
  {
    if (!node.IsMap()) {
      error(where, path, fmt::format("expected {}, got {}", describe(Kind::object), found(node)));
      return nullptr;
    }
    nlohmann::json out = nlohmann::json::object();
    std::map<std::string, int> seen; // key -> 1-based line
    std::set<std::string_view> suggested; // required keys already named by a did-you-mean
    std::vector<std::string_view> names;
    for (const auto& child : field.children) {
      names.push_back(child.name);
    }
    for (const auto& item : node) {
      const YAML::Node& key = item.first;
      const YAML::Mark key_mark = key.Mark();
      if (!key.IsScalar()) {
        error(key_mark, path, fmt::format("expected a key name, got {}", found(key)));
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string child_path = join_path(path, name);
      if (auto [it, inserted] = seen.emplace(name, key_mark.line + 1); !inserted) {
        error(key_mark, child_path, fmt::format("duplicate key (already given on line {})", it->second));
        continue;
      }
      const Field* child = find_child(field, name);
      if (!child) {
        const auto suggestion = did_you_mean(name, names);
        suggested.insert(suggestion);
        error(key_mark, child_path,
              suggestion.empty() ? fmt::format("unknown key (expected one of: {})", fmt::join(names, ", "))
                                 : fmt::format("unknown key; did you mean \"{}\"?", suggestion));
        continue;
      }
      const YAML::Node& value = item.second;
      if (value.IsNull() && child->presence == Presence::optional) {
        continue; // `key:` with no value is the same as leaving the key out
      }
      auto converted = this->value(value, *child, key_mark, child_path);
      if (!converted.is_null()) {
        out[name] = std::move(converted);
      }
    }
    for (const auto& child : field.children) {
      if (out.contains(std::string(child.name)) || seen.contains(std::string(child.name))) {
        continue;
      }
      if (child.presence == Presence::required && !suggested.contains(child.name)) {
        error(where, path,
              fmt::format("missing required key \"{}\" (expected {})", child.name, describe(child.kind)));
      } else if (!child.fallback.is_null()) {
        out[std::string(child.name)] = child.fallback;
      }
    }
    return out;
  }

  // Any value; `key_mark` locates it when the value itself has no position (an empty value).
  nlohmann::json value(const YAML::Node& node, const Field& field, const YAML::Mark& key_mark, const std::string& path)
  {
    const YAML::Mark where = valid_mark(node.Mark()) && !node.IsNull() ? node.Mark() : key_mark;
    m_marks[path] = where;
    auto wrong = [&](std::string_view extra = {}) {
      error(where, path, fmt::format("expected {}, got {}{}", describe(field.kind), found(node), extra));
      return nlohmann::json(nullptr);
    };
    switch (field.kind) {
    case Kind::string:
    case Kind::date:
    case Kind::email:
    case Kind::url: {
      if (!node.IsScalar() || resolve(node) != Type::string) {
        const bool quotable = node.IsScalar() && resolve(node) != Type::null && field.kind == Kind::string;
        return wrong(quotable ? fmt::format(" (quote it if it is text: \"{}\")", node.Scalar()) : "");
      }
      if (auto why = check_text(field.kind, node.Scalar())) {
        error(where, path, *why);
        return nullptr;
      }
      if (!field.one_of.empty() &&
          std::find(field.one_of.begin(), field.one_of.end(), node.Scalar()) == field.one_of.end()) {
        const auto suggestion = did_you_mean(node.Scalar(), field.one_of);
        error(where, path,
              suggestion.empty()
                  ? fmt::format("expected one of {}, got {}", fmt::join(field.one_of, ", "), found(node))
                  : fmt::format("expected one of {}, got {}; did you mean \"{}\"?", fmt::join(field.one_of, ", "),
                                found(node), suggestion));
        return nullptr;
      }
      return node.Scalar();
    }
    case Kind::integer: {
      if (!node.IsScalar() || resolve(node) != Type::integer) {
        return wrong();
      }
      const std::string& text = node.Scalar();
      long long number = 0;
      const char* first = text.data() + (text.starts_with('+') ? 1 : 0);
      const auto [end, ec] = std::from_chars(first, text.data() + text.size(), number);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return wrong(" (a decimal number in range)");
      }
      if (number < field.minimum) {
        error(where, path, fmt::format("must be at least {}, got {}", field.minimum, number));
        return nullptr;
      }
      return number;
    }
    case Kind::boolean:
      if (!node.IsScalar() || resolve(node) != Type::boolean) {
        return wrong();
      }
      return std::tolower(static_cast<unsigned char>(node.Scalar()[0])) == 't';
    case Kind::string_list: {
      if (!node.IsSequence()) {
        return wrong(node.IsScalar() && resolve(node) == Type::string
                         ? fmt::format(" (write [{}] for a single item)", node.Scalar())
                         : std::string());
      }
      if (field.non_empty && node.size() == 0) {
        error(where, path, "expected at least one item, got an empty list");
        return nullptr;
      }
      const Field item_field{field.name, Kind::string, Presence::required};
      nlohmann::json out = nlohmann::json::array();
      bool ok = true;
      for (std::size_t i = 0; i < node.size(); ++i) {
        auto item = value(node[i], item_field, where, fmt::format("{}[{}]", path, i));
        ok = ok && !item.is_null();
        out.push_back(std::move(item));
      }
      return ok ? out : nlohmann::json(nullptr);
    }
    case Kind::object:
      return object(node, field, where, path);
    case Kind::object_list: {
      if (!node.IsSequence()) {
        return wrong();
      }
      if (field.non_empty && node.size() == 0) {
        error(where, path, "expected at least one item, got an empty list");
        return nullptr;
      }
      nlohmann::json out = nlohmann::json::array();
      for (std::size_t i = 0; i < node.size(); ++i) {
        const auto item_path = fmt::format("{}[{}]", path, i);
        const YAML::Node item = node[i];
        const YAML::Mark item_mark = valid_mark(item.Mark()) ? item.Mark() : where;
        m_marks[item_path] = item_mark;
        out.push_back(object(item, field, item_mark, item_path));
      }
      return out;
    }
    }
    return nullptr;
  }

  void error(const YAML::Mark& mark, const std::string& path, std::string message)
  {
    const int line = valid_mark(mark) ? mark.line + 1 : 1;
    const int column = valid_mark(mark) ? mark.column + 1 : 1;
    m_diagnostics.push_back(
        Diagnostic{m_file, line, column, path.empty() ? std::move(message) : fmt::format("{}: {}", path, message)});
  }

  // Where the value at `path` ("subprocessors[2].name") was found.
  YAML::Mark mark(const std::string& path) const
  {
    const auto it = m_marks.find(path);
    return it == m_marks.end() ? YAML::Mark{} : it->second;
  }

private:
  std::string m_file;
  std::vector<Diagnostic>& m_diagnostics;
  std::map<std::string, YAML::Mark> m_marks;
};

// Checks that span keys, on a document the walker built.
void check_relations(nlohmann::json& document, Walker& walker, const std::filesystem::path& base_dir,
                     std::vector<Diagnostic>& diagnostics)
{
  if (auto it = document.find("schema_version"); it != document.end() && it->is_number_integer() &&
                                                  *it != schema_version) {
    walker.error(walker.mark("schema_version"), "schema_version",
                 fmt::format("unsupported version {} (this complycli reads version {})", it->dump(), schema_version));
  }

  std::map<std::string, std::size_t> subprocessor_index; // lower-case name -> index
  std::vector<std::string_view> subprocessor_names;
  if (auto it = document.find("subprocessors"); it != document.end() && it->is_array()) {
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& entry = (*it)[i];
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
        continue;
      }
      const auto& name = entry["name"].get_ref<const std::string&>();
      subprocessor_names.push_back(name);
      const auto [first, inserted] = subprocessor_index.emplace(lower(name), i);
      if (!inserted) {
        const auto path = fmt::format("subprocessors[{}].name", i);
        const auto first_mark = walker.mark(fmt::format("subprocessors[{}].name", first->second));
        walker.error(walker.mark(path), path,
                     fmt::format("duplicate subprocessor \"{}\" (names are compared ignoring case; first listed on "
                                 "line {})",
                                 name, first_mark.line + 1));
      }
    }
  }

  if (auto it = document.find("ai_providers"); it != document.end() && it->is_array()) {
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& entry = (*it)[i];
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
        continue;
      }
      const auto& name = entry["name"].get_ref<const std::string&>();
      if (subprocessor_index.contains(lower(name))) {
        continue;
      }
      const auto path = fmt::format("ai_providers[{}].name", i);
      const auto suggestion = did_you_mean(name, subprocessor_names);
      walker.error(walker.mark(path), path,
                   fmt::format("AI provider \"{}\" is not listed in subprocessors (every AI provider must also be a "
                               "subprocessor, by the same name){}",
                               name, suggestion.empty() ? "" : fmt::format("; did you mean \"{}\"?", suggestion)));
    }
  }

  // An AI worker's model provider is one of the profile's AI providers.
  if (auto it = document.find("ai_workers"); it != document.end() && it->is_array()) {
    std::vector<std::string_view> provider_names;
    std::set<std::string> providers;
    if (auto ai = document.find("ai_providers"); ai != document.end() && ai->is_array()) {
      for (const auto& entry : *ai) {
        if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
          provider_names.push_back(entry["name"].get_ref<const std::string&>());
          providers.insert(lower(entry["name"].get<std::string>()));
        }
      }
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& entry = (*it)[i];
      if (!entry.is_object() || !entry.contains("model_provider") || !entry["model_provider"].is_string()) {
        continue;
      }
      const auto& name = entry["model_provider"].get_ref<const std::string&>();
      if (providers.contains(lower(name))) {
        continue;
      }
      const auto path = fmt::format("ai_workers[{}].model_provider", i);
      const auto suggestion = did_you_mean(name, provider_names);
      walker.error(walker.mark(path), path,
                   fmt::format("\"{}\" is not one of the profile's ai_providers{}", name,
                               suggestion.empty() ? "" : fmt::format("; did you mean \"{}\"?", suggestion)));
    }
  }

  // The company's own certifications: "certified" says until when; dates in order.
  if (auto it = document.find("certifications"); it != document.end() && it->is_object()) {
    for (const auto& [name, cert] : it->items()) {
      if (!cert.is_object()) {
        continue;
      }
      const auto path = fmt::format("certifications.{}", name);
      const std::string status = cert.value("status", "");
      if (status == "certified" && !cert.contains("expires")) {
        walker.error(walker.mark(path + ".status"), path,
                     "status certified needs an expires date (when the certificate or report period ends)");
      }
      if (cert.contains("issued") && cert.contains("expires") && cert["issued"].is_string() &&
          cert["expires"].is_string() && cert["expires"].get<std::string>() < cert["issued"].get<std::string>()) {
        walker.error(walker.mark(path + ".expires"), path + ".expires",
                     fmt::format("{} is before issued ({})", cert["expires"].get<std::string>(),
                                 cert["issued"].get<std::string>()));
      }
      if (status == "none" && (cert.contains("expires") || cert.contains("issued"))) {
        walker.error(walker.mark(path + ".status"), path,
                     "status none cannot have issued or expires dates (did you mean certified?)");
      }
    }
  }

  if (auto it = document.find("people_roster"); it != document.end() && it->is_string()) {
    if (document.contains("people")) {
      walker.error(walker.mark("people_roster"), "people_roster",
                   "give either people or people_roster, not both");
      return;
    }
    const std::filesystem::path roster = base_dir / it->get<std::string>();
    const std::string shown = roster.lexically_normal().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(roster, ec)) {
      walker.error(walker.mark("people_roster"), "people_roster",
                   fmt::format("no such file {} (the path is relative to the profile's folder)", shown));
      return;
    }
    auto text = util::read_file(roster);
    if (!text) {
      walker.error(walker.mark("people_roster"), "people_roster", text.error().message);
      return;
    }
    document["people"] = read_roster(*text, shown, diagnostics);
  }
}

} // namespace

Result<Validation> validate_text(const std::string& text, const std::string& name,
                                 const std::filesystem::path& base_dir)
{
  Validation result;
  const YAML::Node root = TRY(yaml::load_node(text, name, "not valid YAML or JSON: ", yaml::DuplicateKeys::leave));
  // (Duplicate keys are left to the walker, which reports them with every other problem.)
  Walker walker{name, result.diagnostics};
  if (root.IsNull() || (root.IsScalar() && text.find_first_not_of(" \t\r\n") == std::string::npos)) {
    result.diagnostics.push_back(
        Diagnostic{name, 1, 1, "the file is empty (expected a mapping with the profile's keys: organisation, "
                               "products, subprocessors, ...)"});
    return result;
  }
  const YAML::Mark start = valid_mark(root.Mark()) ? root.Mark() : YAML::Mark{};
  result.document = walker.object(root, profile_schema(), start, "");
  if (result.document.is_object()) {
    check_relations(result.document, walker, base_dir, result.diagnostics);
  }
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(), [](const auto& a, const auto& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  return result;
}

Result<Validation> validate_file(const std::filesystem::path& path)
{
  const std::string name = path.string();
  auto text = util::read_file(path);
  if (!text) {
    return std::unexpected(text.error());
  }
  const std::filesystem::path base_dir = name == "-" ? std::filesystem::path(".") : path.parent_path();
  auto validation = TRY(validate_text(*text, name, base_dir.empty() ? std::filesystem::path(".") : base_dir));
  validation.sha256 = TRY(sha256_hex(*text));
  return validation;
}

Result<Profile> load_profile(const std::filesystem::path& path)
{
  auto validation = TRY(validate_file(path));
  if (!validation.valid()) {
    std::vector<std::string> lines;
    for (const auto& diagnostic : validation.diagnostics) {
      lines.push_back(diagnostic.to_string());
    }
    return fail_with_hint(Errc::config, "run `complycli profile validate` to check it after editing",
                          "{} is not a valid profile ({} problem{}):\n{}", path.string(), lines.size(),
                          lines.size() == 1 ? "" : "s", fmt::join(lines, "\n"));
  }
  auto profile = from_document(validation.document);
  profile.source = path;
  profile.source_sha256 = validation.sha256;
  return profile;
}

} // namespace complycli::profile
