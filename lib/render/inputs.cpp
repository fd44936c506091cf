#include "render/inputs.hpp"

#include "render/yaml_json.hpp"
#include "util/env.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace complycli::render {

namespace {

// The line and column of byte `offset` in `text` (1-based).
std::pair<std::size_t, std::size_t> line_col(std::string_view text, std::size_t offset)
{
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

} // namespace

const nlohmann::json* find_path(const nlohmann::json& root, std::string_view dotted)
{
  const nlohmann::json* node = &root;
  while (!dotted.empty()) {
    const auto dot = dotted.find('.');
    const std::string key(dotted.substr(0, dot));
    if (!node->is_object() || !node->contains(key)) {
      return nullptr;
    }
    node = &(*node)[key];
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  return node;
}

Result<std::string> sha256_hex(std::string_view bytes)
{
  std::array<uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return fail(Errc::io, "SHA-256 failed in OpenSSL");
  }
  return util::to_hex(digest);
}

Result<void> validate_profile(const nlohmann::json& profile, const std::string& name)
{
  if (!profile.is_object()) {
    return fail(Errc::config, "{}: the profile must be a mapping", name);
  }
  static constexpr const char* required_strings[] = {
      "organisation.legal_name", "organisation.address", "organisation.website",
      "organisation.contacts.dpo.email", "organisation.contacts.security.email",
      "organisation.contacts.vulnerability_disclosure.email"};
  for (const char* field : required_strings) {
    const auto* node = find_path(profile, field);
    if (node == nullptr || !node->is_string() || node->get<std::string>().empty()) {
      return fail(Errc::config, "{}: required field {} is missing or not text", name, field);
    }
  }
  const auto* products = find_path(profile, "products");
  if (products == nullptr || !products->is_array() || products->empty()) {
    return fail(Errc::config, "{}: products must list at least one product", name);
  }
  for (const char* list : {"subprocessors", "ai_providers", "retention", "products"}) {
    const auto* node = find_path(profile, list);
    if (node == nullptr) {
      continue;
    }
    if (!node->is_array()) {
      return fail(Errc::config, "{}: {} must be a list", name, list);
    }
    for (std::size_t i = 0; i < node->size(); ++i) {
      if (!(*node)[i].is_object()) {
        return fail(Errc::config, "{}: {}[{}] must be a mapping", name, list, i);
      }
    }
  }
  if (const auto* subprocessors = find_path(profile, "subprocessors")) {
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < subprocessors->size(); ++i) {
      const auto& sub = (*subprocessors)[i];
      if (!sub.contains("name") || !sub["name"].is_string()) {
        return fail(Errc::config, "{}: subprocessors[{}].name is missing", name, i);
      }
      std::string lower = sub["name"].get<std::string>();
      for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (std::find(seen.begin(), seen.end(), lower) != seen.end()) {
        return fail(Errc::config, "{}: subprocessors[{}]: the name {} appears twice", name, i,
                    sub["name"].get<std::string>());
      }
      seen.push_back(lower);
    }
  }
  return {};
}

Result<LoadedFile> load_profile(const std::filesystem::path& path)
{
  const auto text = TRY(util::read_file(path));
  LoadedFile loaded{path, TRY(parse_yaml(text, path.string())), TRY(sha256_hex(text))};
  TRY_VOID(validate_profile(loaded.data, path.string()));
  return loaded;
}

Result<LoadedFile> load_results(const std::filesystem::path& path)
{
  const auto text = TRY(util::read_file(path));
  LoadedFile loaded{path, {}, TRY(sha256_hex(text))};
  try {
    loaded.data = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = line_col(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string what = e.what();
    if (const auto colon = what.rfind(": "); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return fail(Errc::parse, "{}:{}:{}: {}", path.string(), line, column, what);
  }
  if (!loaded.data.is_object() || !loaded.data.contains("checks") || !loaded.data["checks"].is_array()) {
    return fail(Errc::config, "{}: not a check results file (no \"checks\" list)", path.string());
  }
  for (std::size_t i = 0; i < loaded.data["checks"].size(); ++i) {
    const auto& check = loaded.data["checks"][i];
    if (!check.is_object() || !check.contains("id") || !check["id"].is_string() || !check.contains("status") ||
        !check["status"].is_string()) {
      return fail(Errc::config, "{}: checks[{}] needs an \"id\" and a \"status\"", path.string(), i);
    }
  }
  return loaded;
}

Result<std::chrono::year_month_day> resolve_date(const std::optional<std::string>& option)
{
  if (option) {
    const auto date = util::parse_date(*option);
    if (!date) {
      return fail(Errc::usage, "--date must be a date YYYY-MM-DD, not {}", *option);
    }
    return *date;
  }
  if (const auto epoch = util::get_env("SOURCE_DATE_EPOCH")) {
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(epoch->data(), epoch->data() + epoch->size(), seconds);
    if (ec != std::errc{} || end != epoch->data() + epoch->size() || seconds < 0) {
      return fail(Errc::usage, "SOURCE_DATE_EPOCH must be a number of seconds, not {}", *epoch);
    }
    const auto time = std::chrono::sys_seconds{std::chrono::seconds{seconds}};
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(time)};
  }
  return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}

} // namespace complycli::render
