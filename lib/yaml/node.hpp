#pragma once

// For code that walks yaml-cpp nodes itself because it needs every node's line and column and wants to
// report every problem rather than the first (profile validation, check and waiver files). Same loading
// rules and messages as yaml/document.hpp, same scalar types.

#include "core/error.hpp"
#include "yaml/document.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace complycli::yaml {

// Whether load_node() refuses a key given twice in a mapping, or leaves it to a caller that reports it
// along with every other problem (the profile validator).
enum class DuplicateKeys { reject, leave };

// Load the one document of `text`: UTF-8 (or UTF-16/32 with the marks yaml-cpp knows), one document,
// each key once (unless `leave`). Errors are Errc::parse "name:line:column: <prefix><what is wrong>".
// A file with no document (empty, only comments) gives a null node.
Result<YAML::Node> load_node(const std::string& text, const std::string& name, std::string_view prefix = {},
                             DuplicateKeys duplicates = DuplicateKeys::reject);

// The type of a scalar node: quoted, `!!str` and local tags (`!Ref`) make a string; untagged and the
// core tags (`!!int`...) get plain_type() of the text.
Type scalar_type(const YAML::Node& scalar);

} // namespace complycli::yaml
