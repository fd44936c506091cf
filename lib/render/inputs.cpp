#include "render/inputs.hpp"

#include "profile/profile.hpp"
#include "util/env.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <openssl/evp.h>

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

Result<LoadedFile> load_profile(const std::filesystem::path& path)
{
  // The profile module parses and validates (every problem with file:line:column); documents render
  // from its normalised JSON form (defaults filled in, the people roster merged).
  const auto loaded = TRY(profile::load_profile(path));
  auto data = profile::to_json(loaded);
  // The document facts the typed profile does not carry (yet): the company's own certifications and
  // service levels, the supervisory authority, special categories, and which subprocessors see
  // customer data with their addresses and contacts. Taken from the validated document, item by item.
  const auto validation = TRY(profile::validate_file(path));
  const auto& doc = validation.document;
  for (const char* key : {"certifications", "service_levels"}) {
    if (doc.contains(key)) {
      data[key] = doc[key];
    }
  }
  if (doc.contains("organisation") && doc["organisation"].contains("supervisory_authority")) {
    data["organisation"]["supervisory_authority"] = doc["organisation"]["supervisory_authority"];
  }
  const auto copy_items = [&](const char* list, std::initializer_list<const char*> keys) {
    if (!doc.contains(list) || !doc[list].is_array() || !data.contains(list) || data[list].size() != doc[list].size()) {
      return;
    }
    for (std::size_t i = 0; i < doc[list].size(); ++i) {
      for (const char* key : keys) {
        if (doc[list][i].contains(key)) {
          data[list][i][key] = doc[list][i][key];
        }
      }
    }
  };
  copy_items("products", {"special_categories", "criminal_offence_data"});
  copy_items("subprocessors", {"processes_customer_data", "address", "contact_email"});
  return LoadedFile{path, std::move(data), loaded.source_sha256};
}

Result<LoadedFile> load_results(const std::filesystem::path& path)
{
  const auto text = TRY(util::read_file(path));
  LoadedFile loaded{path, {}, TRY(sha256_hex(text))};
  try {
    loaded.data = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = line_col(text, e.byte == 0 ? 0 : e.byte - 1);
    // "[json.exception.parse_error.101] parse error at line 1, column 67: syntax error ...; last read: '...'"
    std::string what = e.what();
    const auto position = what.find("column ");
    if (const auto colon = what.find(": ", position == std::string::npos ? 0 : position); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return fail(Errc::parse, "{}:{}:{}: not valid JSON: {} (expected the results JSON `complycli check --results` writes)",
                path.string(), line, column, what);
  }
  if (!loaded.data.is_object() || !loaded.data.contains("checks") || !loaded.data["checks"].is_array()) {
    return fail(Errc::config, "{}: not a check results file (no \"checks\" list)", path.string());
  }
  if (loaded.data.contains("generated") && !loaded.data["generated"].is_string()) {
    return fail(Errc::config, "{}: \"generated\" must be an RFC 3339 time", path.string());
  }
  for (std::size_t i = 0; i < loaded.data["checks"].size(); ++i) {
    const auto& check = loaded.data["checks"][i];
    if (!check.is_object() || !check.contains("id") || !check["id"].is_string() || !check.contains("status") ||
        !check["status"].is_string()) {
      return fail(Errc::config, "{}: checks[{}] needs an \"id\" and a \"status\"", path.string(), i);
    }
    for (const char* key : {"title", "severity"}) {
      if (check.contains(key) && !check[key].is_string()) {
        return fail(Errc::config, "{}: checks[{}].{} must be text", path.string(), i, key);
      }
    }
    if (check.contains("controls") && !check["controls"].is_object()) {
      return fail(Errc::config, "{}: checks[{}].controls must be a mapping", path.string(), i);
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
