#pragma once

// Shapes of plain text values (YAML scalars, profile fields), matched by hand rather than with
// std::regex: libstdc++'s regex recurses once per character, so a value of a few hundred thousand
// characters (a long line in a file someone else wrote) overflowed the stack.

#include <optional>
#include <string>
#include <string_view>

namespace complycli::util {

// [-+]?[0-9]+
bool is_decimal_integer(std::string_view text);

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_decimal_real(std::string_view text);

// LOCAL@LABEL(.LABEL)*.TLD: LOCAL without blanks, @ < > ( ) " , ; ; labels of letters, digits and -;
// a top-level domain of two letters or more; at most 64 bytes before the @ and 254 in all.
bool is_email_shape(std::string_view text);

// http(s)://LABEL(.LABEL)*[:PORT][/?# then anything without blanks]
bool is_url_shape(std::string_view text);

// [0-9]{4}-[0-9]{2}-[0-9]{2}
bool is_date_shape(std::string_view text);

// The offset of the first byte of `text` that is not part of well-formed UTF-8 (RFC 3629), or npos.
std::size_t invalid_utf8_offset(std::string_view text);

// Why `text` is not UTF-8 text, at 1-based line:column (columns count bytes), or nullopt: a NUL byte,
// or a byte that is not well-formed UTF-8 (Latin-1, UTF-16 without a byte-order mark, binary data).
// The message says what was expected.
struct TextProblem {
  std::size_t line = 1;
  std::size_t column = 1;
  std::string message;
};
std::optional<TextProblem> text_problem(std::string_view text);

// `text` with each ill-formed UTF-8 byte replaced by U+FFFD (JSON output throws on ill-formed UTF-8).
std::string to_valid_utf8(std::string_view text);

} // namespace complycli::util
