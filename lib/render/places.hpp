#pragma once

// Where a location code in the profile is: a country and whether it is inside the European Economic
// Area, from a small data table (templates/regions.yaml) that maps short codes (us, eu) and cloud
// region codes (eu-west-1, europe-west3, westeurope) to countries.

#include "core/error.hpp"
#include "render/template.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace complycli::render {

struct Place {
  std::string country; // the code as given when the table does not know it
  bool eea = false;
  bool known = false;  // the table knows the code, or it is a country the table names
  std::string in_sentence; // "the United States", "Germany": as it reads after "established in"
};

// Load and validate regions.yaml from `dirs`: Errc::config naming the file when it is malformed.
Result<nlohmann::json> load_regions(const TemplateDirs& dirs);

// The place `location` names, looked up in `regions` (from load_regions) ignoring case.
Place place_of(const nlohmann::json& regions, const std::string& location);

} // namespace complycli::render
