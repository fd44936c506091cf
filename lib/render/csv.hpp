#pragma once

// CSV as RFC 4180 writes it: fields separated by commas, a field with a comma, a double quote or a
// line break enclosed in double quotes, a double quote inside such a field doubled.

#include "core/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::render {

struct CsvRow {
  std::size_t row = 0;  // 1-based record number (the header is row 1)
  std::size_t line = 0; // 1-based line where the record starts
  std::vector<std::string> fields;
};

// Parse CSV text (LF or CRLF line ends, optional UTF-8 byte-order mark). A quote that is never
// closed, or text after a closing quote, is Errc::parse naming `name`, the row and its line.
// Blank lines are skipped.
Result<std::vector<CsvRow>> parse_csv(std::string_view text, const std::string& name);

// One field as CSV writes it: quoted only when it holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view value);

} // namespace complycli::render
