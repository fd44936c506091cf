#pragma once

// Profile values as text, shared by the documents (render/documents.cpp) and the questionnaire
// answerer (questionnaire/answer.cpp): one line per value, case folding and trimming.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace complycli::render {

// `text` in ASCII lower case.
std::string lower(std::string_view text);

// `text` without leading and trailing white space.
std::string trimmed(std::string_view text);

// A value as one line of text: lists joined with ", ", objects as "key: value" pairs, null as "".
std::string value_text(const nlohmann::json& value);

// Whether a profile fact holds: present, not null, not false, not an empty string, list or mapping.
bool truthy(const nlohmann::json* value);

} // namespace complycli::render
