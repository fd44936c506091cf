#pragma once

// The inputs every document is rendered from: the company profile, the check results, the date.

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace complycli::render {

// A file's parsed content and the SHA-256 of its bytes (lower-case hex).
struct LoadedFile {
  std::filesystem::path path;
  nlohmann::json data;
  std::string sha256;
};

// The value at a dotted path ("organisation.contacts.dpo.email") in `root`, or nullptr.
const nlohmann::json* find_path(const nlohmann::json& root, std::string_view dotted);

// SHA-256 of `bytes` as lower-case hex.
Result<std::string> sha256_hex(std::string_view bytes);

// Read and validate a company profile (YAML or JSON) with the profile module: Errc::parse or
// Errc::config naming file:line:column. The data is the profile's normalised JSON form.
Result<LoadedFile> load_profile(const std::filesystem::path& path);

// Read a check results file (the JSON `complycli check --results` writes): Errc::parse with
// file:line:column when it does not parse, Errc::config when it has no `checks` list.
Result<LoadedFile> load_results(const std::filesystem::path& path);

// The date documents carry: `option` (YYYY-MM-DD) when given, else SOURCE_DATE_EPOCH, else today (UTC).
Result<std::chrono::year_month_day> resolve_date(const std::optional<std::string>& option);

} // namespace complycli::render
