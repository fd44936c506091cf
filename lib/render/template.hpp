#pragma once

// Mustache templates (kainjow-mustache) rendered from JSON data, strictly: a variable the data lacks
// is an error naming the field and the template line, and a syntax error names the template line and
// column. Sections (`{{#x}}`, `{{^x}}`) over absent data are not errors: that is how a template says
// "only if present".

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::render {

// How `{{x}}` escapes a value (`{{{x}}}` and `{{&x}}` never do).
enum class Escape { html, none, csv };

// Where templates are looked up, first match wins: `override_dir` (--template-dir), then
// $COMPLYCLI_DATA_DIR/templates, then the installed data folder, then the source tree's templates/.
struct TemplateDirs {
  std::optional<std::filesystem::path> override_dir;

  std::vector<std::filesystem::path> search_path() const;
  // The file for `name` (e.g. "dpa.md.mustache", "questionnaires/caiq-lite.yaml"), or Errc::config.
  Result<std::filesystem::path> find(std::string_view name) const;
};

// Render template text. `name` is the file named in error messages. Numbers render as written
// in JSON, booleans and null only work as sections.
Result<std::string> render_text(std::string_view text, const std::string& name, const nlohmann::json& data,
                                Escape escape);

// Read the template file at `path` and render it.
Result<std::string> render_file(const std::filesystem::path& path, const nlohmann::json& data, Escape escape);

} // namespace complycli::render
