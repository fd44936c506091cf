#pragma once

// YAML (or JSON, which is YAML) files read into nlohmann::json. Plain scalars get the YAML 1.2 core
// schema types (null, bool, integer, float, else string); quoted scalars stay strings, so dates and
// version numbers such as "1.2" keep their text.

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace complycli::render {

// Parse YAML text; `name` is used in error messages (Errc::parse, "name:line:column: ...").
Result<nlohmann::json> parse_yaml(const std::string& text, const std::string& name);

// Read and parse a YAML or JSON file.
Result<nlohmann::json> load_yaml_file(const std::filesystem::path& path);

} // namespace complycli::render
