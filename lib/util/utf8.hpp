#pragma once

// Text read from files must be UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF) without NUL bytes: nlohmann_json throws on anything else when the text reaches JSON output,
// and a NUL cuts C strings short. These say where text stops being that, and what was expected.

#include "core/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace complycli::util {

// The offset of the first byte of `text` that is not part of well-formed UTF-8, or npos.
std::size_t invalid_utf8_offset(std::string_view text);

// Why `text` is not UTF-8 text, at 1-based line:column (columns count bytes), or nullopt: a NUL byte,
// or a byte that is not well-formed UTF-8 (Latin-1, UTF-16 without a byte-order mark, binary data).
// The message says what was expected.
struct TextProblem {
  int line = 1;
  int column = 1;
  std::string message; // "byte 0xE9 is not UTF-8 (expected UTF-8 text; ...)"
};
std::optional<TextProblem> text_problem(std::string_view text);

// Errc::parse "NAME:LINE:COLUMN: <TextProblem::message>" unless `text` is UTF-8 text.
Result<void> check_utf8(std::string_view text, const std::string& name);

// `text` with each ill-formed UTF-8 byte replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

} // namespace complycli::util
