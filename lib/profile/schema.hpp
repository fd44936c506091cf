#pragma once

// The company profile's schema as data: every key, its type, whether it is required. The validator
// walks a document against it; docs/profile.md and docs/profile.schema.json describe the same tree
// (a unit test keeps the JSON Schema and this table in step).

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::profile {

// What a value must be.
enum class Kind {
  string,      // any text (a quoted scalar, or a plain one that is not a number, boolean or null)
  integer,     // a whole number, at least `Field::minimum`
  boolean,     // true or false
  date,        // a real calendar date written YYYY-MM-DD
  email,       // name@domain.tld
  url,         // http:// or https:// followed by a host
  string_list, // a list of strings
  object,      // a mapping with the keys in `Field::children`
  object_list, // a list of such mappings
};

enum class Presence { required, optional };

struct Field {
  std::string_view name;
  Kind kind = Kind::string;
  Presence presence = Presence::optional;
  std::vector<Field> children = {}; // keys of an object, or of each item of an object_list
  bool non_empty = false;            // lists: at least one item
  long long minimum = 0;             // integers
  nlohmann::json fallback = nullptr; // the value an absent optional key takes, if any
  std::vector<std::string_view> one_of = {}; // strings: the only values allowed, when not empty
};

// The root of the profile schema (an object whose children are the top-level keys).
const Field& profile_schema();

// A short phrase for what a kind of value must be: "a date YYYY-MM-DD".
std::string_view describe(Kind kind);

// The child of an object field called `name`, or nullptr.
const Field* find_child(const Field& field, std::string_view name);

} // namespace complycli::profile

namespace complycli::profile {

// For a text value of kind string, date, email or url: why `text` does not fit (for example
// `"2026-02-30" is not a real date`), or nullopt when it does.
std::optional<std::string> check_text(Kind kind, std::string_view text);

// The closest of `candidates` to `word` when it is close enough to be a likely typo, else empty.
std::string_view did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

} // namespace complycli::profile
