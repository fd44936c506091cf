#pragma once

// Text output shared by every command: aligned tables for people, colour that can be turned off.
// Functions return strings; printing is the CLI's job.

#include <string>
#include <string_view>
#include <vector>

namespace complycli::core {

// How a command prints data: `table` for people, `json` for scripts.
enum class Format { table, json };

enum class Colour { none, red, green, yellow, bold, dim };

// Wrap `text` in the ANSI sequence for `colour` when `enabled`; return it unchanged otherwise.
std::string paint(std::string_view text, Colour colour, bool enabled);

// An aligned text table. Cells may hold UTF-8; widths count code points.
class Table {
public:
  explicit Table(std::vector<std::string> header);
  void add_row(std::vector<std::string> cells);
  bool empty() const { return m_rows.empty(); }
  // Render with a bold header when `colour`; every line ends with '\n'.
  std::string render(bool colour) const;

private:
  std::vector<std::string> m_header;
  std::vector<std::vector<std::string>> m_rows;
};

// Number of code points in a UTF-8 string (for column widths).
std::size_t display_width(std::string_view text);

} // namespace complycli::core
