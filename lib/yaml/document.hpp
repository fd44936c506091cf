#pragma once

// YAML (and JSON, which is YAML) text into nlohmann::json, the one conversion the code base uses
// (docs/profile.md, "How YAML values are typed"). Built on yaml-cpp; plain scalars get the YAML 1.2
// core schema types, quoted ones stay strings. Rejected, with name:line:column: a syntax error, a
// duplicate key, a key that is a list or a mapping, a merge key (<<), more than one document, a number
// JSON cannot hold, and a document that aliases expand past a few times its size.

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::yaml {

// The YAML 1.2 core schema type of a plain (unquoted, untagged) scalar: `~`, `null` and empty are null;
// `true`/`false` (also True, TRUE...) booleans; 12, -3, 0o17, 0x1F integers; 1.5, 1e3, .inf, .nan reals;
// anything else, `yes`, `no`, `on`, `off` and 2026-11-26 among them, a string.
enum class Type { null, boolean, integer, real, string };
Type plain_type(std::string_view text);

// Parse YAML text; `name` names it in messages (Errc::parse, "name:line:column: ...").
Result<nlohmann::json> parse(const std::string& text, const std::string& name);

// Read and parse a YAML or JSON file.
Result<nlohmann::json> load_file(const std::filesystem::path& path);

// One scalar of a document, flattened: `controls.mfa.enforced`, `subprocessors[0].name`.
struct FlatValue {
  std::string path;
  std::string value; // text form; "true"/"false" for booleans, "" for null
  std::string type;  // string, integer, real, boolean, null
  int line = 0;      // 1-based
};

// A document with the line of every node, for messages and evidence rows that name file:line.
struct LinedDocument {
  nlohmann::json json;
  std::vector<FlatValue> values;              // every scalar, in document order
  std::map<std::string, int> lines;           // every node's dotted path -> 1-based line ("" is the root)
  int line_of(const std::string& path) const; // 0 when unknown
};

// parse(), keeping lines.
Result<LinedDocument> parse_lined(const std::string& text, const std::string& name);

} // namespace complycli::yaml
