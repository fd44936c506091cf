#pragma once

// Loaders for YAML/JSON documents: the company profile and generic documents (internal).

#include "evidence/loaders.hpp"
#include "yaml/document.hpp"

namespace complycli::evidence {

Result<void> load_profile_tables(LoadState& state, const std::filesystem::path& file, const yaml::LinedDocument& doc);
Result<void> load_document(LoadState& state, const std::filesystem::path& file, const yaml::LinedDocument& doc);

} // namespace complycli::evidence
