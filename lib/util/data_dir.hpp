#pragma once

// Where an installed complycli keeps its data (checks/, templates/).

#include <filesystem>

namespace complycli::util {

// <prefix>/share/complycli when the running binary is <prefix>/bin/complycli and that folder exists
// (a package installed under /usr finds /usr/share/complycli whatever prefix the build was
// configured with); else the configured COMPLYCLI_DATA_DIR.
std::filesystem::path installed_data_dir();

} // namespace complycli::util
