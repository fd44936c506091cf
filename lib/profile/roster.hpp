#pragma once

// The people roster: a CSV file named by the profile's `people_roster` key, one person per row, with a
// header naming the columns (name, role, email, security_training, background_check; name required).

#include "profile/profile.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace complycli::profile {

// Parse roster `text` into people objects (the keys of a `people` item). Problems are appended to
// `diagnostics` with `file` and the 1-based line and column in the CSV.
nlohmann::json read_roster(const std::string& text, const std::string& file, std::vector<Diagnostic>& diagnostics);

} // namespace complycli::profile
