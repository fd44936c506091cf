#include "yaml/document.hpp"

#include "util/file.hpp"
#include "util/scalar.hpp"
#include "yaml/node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace complycli::yaml {

namespace {

constexpr int max_depth = 200;

bool is_any(std::string_view text, std::initializer_list<std::string_view> words)
{
  return std::find(words.begin(), words.end(), text) != words.end();
}

// `prefix` then at least one character of `digits`.
bool is_prefixed(std::string_view text, std::string_view prefix, std::string_view digits)
{
  return text.size() > prefix.size() && text.starts_with(prefix) &&
         text.find_first_not_of(digits, prefix.size()) == std::string_view::npos;
}

// `text` cut short for a message.
std::string shown(std::string_view text)
{
  return text.size() > 40 ? fmt::format("{}...", text.substr(0, 37)) : std::string(text);
}

std::string_view tag_type(const std::string& tag)
{
  if (tag == "tag:yaml.org,2002:null") return "null";
  if (tag == "tag:yaml.org,2002:bool") return "bool";
  if (tag == "tag:yaml.org,2002:int") return "int";
  if (tag == "tag:yaml.org,2002:float") return "float";
  return "";
}

bool matches(std::string_view tag, Type type)
{
  return tag.empty() || (tag == "null" && type == Type::null) || (tag == "bool" && type == Type::boolean) ||
         (tag == "int" && type == Type::integer) || (tag == "float" && (type == Type::real || type == Type::integer));
}

const char* type_name(const nlohmann::json& value)
{
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "real";
  return "null";
}

class Converter {
public:
  Converter(const std::string& name, std::size_t budget, LinedDocument* lined)
      : m_name(name), m_budget(budget), m_lined(lined)
  {
  }

  Result<nlohmann::json> convert(const YAML::Node& node, const std::string& path, int depth)
  {
    if (depth >= max_depth) { // the root is level 1
      return at(node.Mark(), fmt::format("nested too deeply (expected at most {} levels of lists and mappings)", max_depth));
    }
    if (++m_count > m_budget) {
      return at(node.Mark(), fmt::format("aliases expand the document past {} values (expected at most a few times "
                                         "as many values as the file has bytes)",
                                         m_budget));
    }
    if (m_lined) {
      m_lined->lines.emplace(path, node.Mark().line + 1);
    }
    switch (node.Type()) {
    case YAML::NodeType::Map: return mapping(node, path, depth);
    case YAML::NodeType::Sequence: {
      auto array = nlohmann::json::array();
      std::size_t index = 0;
      for (const auto& item : node) {
        array.push_back(TRY(convert(item, m_lined ? fmt::format("{}[{}]", path, index++) : path, depth + 1)));
      }
      return array;
    }
    case YAML::NodeType::Scalar: {
      auto value = TRY(scalar(node));
      flat(path, value, node.Mark());
      return value;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
    }
    flat(path, nullptr, node.Mark());
    return nlohmann::json(nullptr);
  }

private:
  Result<nlohmann::json> mapping(const YAML::Node& node, const std::string& path, int depth)
  {
    auto object = nlohmann::json::object();
    std::map<std::string, int> seen; // key -> 1-based line
    for (const auto& item : node) {
      const YAML::Node& key = item.first;
      if (key.IsNull()) {
        return at(key.Mark(), "a mapping key must be text, not null");
      }
      if (!key.IsScalar()) {
        return at(key.Mark(), "a mapping key must be a plain value, not a list or a mapping");
      }
      const std::string& name = key.Scalar();
      if (name == "<<" && key.Tag() == "?") {
        return at(key.Mark(), "merge keys (<<) are not supported (YAML 1.2 has none; write the keys out)");
      }
      if (const auto [it, added] = seen.emplace(name, key.Mark().line + 1); !added) {
        return at(key.Mark(),
                  fmt::format("duplicate key \"{}\" (already given on line {}; expected each key once)", shown(name), it->second));
      }
      std::string child;
      if (m_lined) {
        child = path.empty() ? name : fmt::format("{}.{}", path, name);
        m_lined->lines.emplace(child, key.Mark().line + 1);
      }
      object[name] = TRY(convert(item.second, child, depth + 1));
    }
    return object;
  }

  Result<nlohmann::json> scalar(const YAML::Node& node)
  {
    const std::string& text = node.Scalar();
    const Type type = scalar_type(node);
    if (const auto tag = tag_type(node.Tag()); !matches(tag, type)) {
      return at(node.Mark(), fmt::format("\"{}\" is not a {} (it is tagged !!{})", shown(text), tag, tag));
    }
    switch (type) {
    case Type::null: return nlohmann::json(nullptr);
    case Type::boolean: return nlohmann::json(text[0] == 't' || text[0] == 'T');
    case Type::integer: {
      std::string_view digits = text;
      int base = 10;
      if (digits.starts_with("0o") || digits.starts_with("0x")) {
        base = digits[1] == 'o' ? 8 : 16;
        digits.remove_prefix(2);
      } else if (digits.starts_with('+')) {
        digits.remove_prefix(1);
      }
      long long value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        return at(node.Mark(), fmt::format("the integer {} does not fit in 64 bits (quote it if it is text)", shown(text)));
      }
      if (tag_type(node.Tag()) == "float") {
        return nlohmann::json(static_cast<double>(value));
      }
      return nlohmann::json(value);
    }
    case Type::real: {
      std::string_view digits = text;
      if (digits.starts_with('+')) {
        digits.remove_prefix(1);
      }
      double value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) {
        return at(node.Mark(), fmt::format("the number {} has no JSON form (expected a finite 64-bit number; quote it "
                                           "if it is text)",
                                           shown(text)));
      }
      return nlohmann::json(value);
    }
    case Type::string: break;
    }
    return nlohmann::json(text);
  }

  void flat(const std::string& path, const nlohmann::json& value, const YAML::Mark& mark)
  {
    if (m_lined) {
      const std::string text = value.is_string() ? value.get<std::string>() : value.is_null() ? "" : value.dump();
      m_lined->values.push_back(FlatValue{path, text, type_name(value), mark.line + 1});
    }
  }

  std::unexpected<Error> at(const YAML::Mark& mark, const std::string& message) const
  {
    return fail(Errc::parse, "{}:{}:{}: {}", m_name, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1, message);
  }

  const std::string& m_name;
  std::size_t m_budget;
  std::size_t m_count = 0;
  LinedDocument* m_lined;
};

Result<nlohmann::json> convert(const std::string& text, const std::string& name, LinedDocument* lined)
{
  const YAML::Node root = TRY(load_node(text, name, {}, DuplicateKeys::leave)); // converted below
  // Without aliases a document has at most about one value per byte; an alias bomb has billions.
  const std::size_t budget = std::max<std::size_t>(4 * text.size(), 100'000);
  return Converter(name, budget, lined).convert(root, "", 0);
}

} // namespace

Type plain_type(std::string_view text)
{
  if (is_any(text, {"", "~", "null", "Null", "NULL"})) {
    return Type::null;
  }
  if (is_any(text, {"true", "True", "TRUE", "false", "False", "FALSE"})) {
    return Type::boolean;
  }
  if (util::is_decimal_integer(text) || is_prefixed(text, "0o", "01234567") ||
      is_prefixed(text, "0x", "0123456789abcdefABCDEF")) {
    return Type::integer;
  }
  if (util::is_decimal_real(text) ||
      is_any(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"})) {
    return Type::real;
  }
  return Type::string;
}

Result<nlohmann::json> parse(const std::string& text, const std::string& name)
{
  return convert(text, name, nullptr);
}

Result<nlohmann::json> load_file(const std::filesystem::path& path)
{
  const auto text = TRY(util::read_file(path));
  return parse(text, path.string());
}

int LinedDocument::line_of(const std::string& path) const
{
  const auto it = lines.find(path);
  return it == lines.end() ? 0 : it->second;
}

Result<LinedDocument> parse_lined(const std::string& text, const std::string& name)
{
  LinedDocument doc;
  doc.json = TRY(convert(text, name, &doc));
  return doc;
}

} // namespace complycli::yaml
