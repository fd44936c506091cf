#include "render/profile_text.hpp"

#include <cctype>

namespace complycli::render {

std::string lower(std::string_view text)
{
  std::string s(text);
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

std::string trimmed(std::string_view s)
{
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::string value_text(const nlohmann::json& value)
{
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) {
      out += (out.empty() ? "" : ", ") + value_text(item);
    }
    return out;
  }
  if (value.is_object()) {
    std::string out;
    for (const auto& [key, item] : value.items()) {
      out += (out.empty() ? "" : ", ") + key + ": " + value_text(item);
    }
    return out;
  }
  if (value.is_null()) {
    return {};
  }
  return value.dump();
}

bool truthy(const nlohmann::json* value)
{
  if (value == nullptr || value->is_null()) {
    return false;
  }
  if (value->is_boolean()) {
    return value->get<bool>();
  }
  if (value->is_string() || value->is_array() || value->is_object()) {
    return !value->empty();
  }
  return true;
}

} // namespace complycli::render
