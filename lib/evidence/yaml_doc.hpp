#pragma once

// YAML (and JSON, which yaml-cpp also reads) into nlohmann::json, keeping the line of every node,
// so that evidence rows and error messages can name file:line.

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace complycli::evidence {

// One scalar of a document, flattened: `controls.mfa.enforced`, `subprocessors[0].name`.
struct FlatValue {
  std::string path;
  std::string value; // text form; "true"/"false" for booleans, "" for null
  std::string type;  // string, integer, real, boolean, null
  int line = 0;      // 1-based
};

struct LinedDocument {
  nlohmann::json json;
  std::vector<FlatValue> values;                // every scalar, in document order
  std::map<std::string, int> lines;             // every node's dotted path -> 1-based line ("" is the root)
  int line_of(const std::string& path) const;   // 0 when unknown
};

// Parse YAML text (`file` names it in messages). Errc::parse with file:line:column on a syntax error.
Result<LinedDocument> parse_yaml_document(const std::string& text, const std::string& file);

} // namespace complycli::evidence
