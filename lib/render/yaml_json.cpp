#include "render/yaml_json.hpp"

#include "util/file.hpp"
#include "util/scalar.hpp"
#include "util/utf8.hpp"
#include "util/yaml_message.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <regex>

namespace complycli::render {

namespace {

nlohmann::json scalar_to_json(const YAML::Node& node)
{
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") { // quoted or explicitly tagged: a string
    return text;
  }
  static const std::regex null_re("^(~|null|Null|NULL|)$");
  static const std::regex true_re("^(true|True|TRUE)$");
  static const std::regex false_re("^(false|False|FALSE)$");
  if (std::regex_match(text, null_re)) {
    return nullptr;
  }
  if (std::regex_match(text, true_re)) {
    return true;
  }
  if (std::regex_match(text, false_re)) {
    return false;
  }
  if (util::is_decimal_integer(text)) {
    errno = 0;
    const long long value = std::strtoll(text.c_str(), nullptr, 10);
    if (errno == 0) {
      return value;
    }
    return text;
  }
  if (util::is_decimal_real(text)) {
    return std::strtod(text.c_str(), nullptr);
  }
  return text;
}

Result<nlohmann::json> node_to_json(const YAML::Node& node, const std::string& name)
{
  switch (node.Type()) {
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined: return nlohmann::json(nullptr);
  case YAML::NodeType::Scalar: return scalar_to_json(node);
  case YAML::NodeType::Sequence: {
    auto array = nlohmann::json::array();
    for (const auto& item : node) {
      array.push_back(TRY(node_to_json(item, name)));
    }
    return array;
  }
  case YAML::NodeType::Map: {
    auto object = nlohmann::json::object();
    for (const auto& item : node) {
      if (!item.first.IsScalar()) {
        const auto mark = item.first.Mark();
        return fail(Errc::parse, "{}:{}:{}: a mapping key must be a plain value", name, mark.line + 1,
                    mark.column + 1);
      }
      const std::string key = item.first.Scalar();
      if (object.contains(key)) {
        const auto mark = item.first.Mark();
        return fail(Errc::parse, "{}:{}:{}: duplicate key \"{}\"", name, mark.line + 1, mark.column + 1, key);
      }
      object[key] = TRY(node_to_json(item.second, name));
    }
    return object;
  }
  }
  return nlohmann::json(nullptr);
}

} // namespace

Result<nlohmann::json> parse_yaml(const std::string& text, const std::string& name)
{
  TRY_VOID(util::check_utf8(text, name));
  try {
    const YAML::Node root = YAML::Load(text);
    return node_to_json(root, name);
  } catch (const YAML::Exception& e) {
    return fail(Errc::parse, "{}:{}:{}: {}", name, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1, util::yaml_message(e.msg));
  }
}

Result<nlohmann::json> load_yaml_file(const std::filesystem::path& path)
{
  const auto text = TRY(util::read_file(path));
  return parse_yaml(text, path.string());
}

} // namespace complycli::render
