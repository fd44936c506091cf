#pragma once

// Shapes of plain text values (YAML scalars, profile fields), matched by hand rather than with
// std::regex: libstdc++'s regex recurses once per character, so a value of a few hundred thousand
// characters (a long line in a file someone else wrote) overflowed the stack.

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

} // namespace complycli::util
