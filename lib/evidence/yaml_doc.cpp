#include "evidence/yaml_doc.hpp"

#include "util/scalar.hpp"
#include "util/yaml_message.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>

namespace complycli::evidence {

int LinedDocument::line_of(const std::string& path) const
{
  const auto it = lines.find(path);
  return it == lines.end() ? 0 : it->second;
}

namespace {

// A plain (unquoted) scalar resolved as the YAML 1.2 core schema does; quoted scalars stay strings.
nlohmann::json resolve_scalar(const YAML::Node& node)
{
  const std::string& text = node.Scalar();
  if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
    return text;
  }
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  if (util::is_decimal_integer(text)) {
    long long value = 0;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) {
      return value;
    }
    return text;
  }
  if (util::is_decimal_real(text)) {
    try {
      return std::stod(text);
    } catch (const std::exception&) {
      return text;
    }
  }
  return text;
}

std::string type_name(const nlohmann::json& value)
{
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "real";
  if (value.is_null()) return "null";
  return value.is_array() ? "array" : "object";
}

std::string scalar_text(const nlohmann::json& value)
{
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

nlohmann::json convert(const YAML::Node& node, const std::string& path, LinedDocument& doc, int depth)
{
  if (depth > 200) {
    throw YAML::ParserException(node.Mark(), "document nested too deeply");
  }
  doc.lines.emplace(path, node.Mark().line + 1);
  switch (node.Type()) {
  case YAML::NodeType::Map: {
    auto object = nlohmann::json::object();
    for (const auto& item : node) {
      const std::string key = item.first.IsScalar() ? item.first.Scalar() : YAML::Dump(item.first);
      const std::string child = path.empty() ? key : path + "." + key;
      doc.lines.emplace(child, item.first.Mark().line + 1);
      object[key] = convert(item.second, child, doc, depth + 1);
    }
    return object;
  }
  case YAML::NodeType::Sequence: {
    auto array = nlohmann::json::array();
    std::size_t index = 0;
    for (const auto& item : node) {
      array.push_back(convert(item, path + "[" + std::to_string(index++) + "]", doc, depth + 1));
    }
    return array;
  }
  case YAML::NodeType::Scalar: {
    auto value = resolve_scalar(node);
    doc.values.push_back(FlatValue{path, scalar_text(value), type_name(value), node.Mark().line + 1});
    return value;
  }
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    doc.values.push_back(FlatValue{path, "", "null", node.Mark().line + 1});
    return nullptr;
  }
  return nullptr;
}

} // namespace

Result<LinedDocument> parse_yaml_document(const std::string& text, const std::string& file)
{
  LinedDocument doc;
  try {
    const YAML::Node root = YAML::Load(text);
    doc.json = convert(root, "", doc, 0);
  } catch (const YAML::Exception& e) {
    return fail(Errc::parse, "{}:{}:{}: {}", file, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1, util::yaml_message(e.msg));
  }
  return doc;
}

} // namespace complycli::evidence
