#include "core/output.hpp"

#include <algorithm>

namespace complycli::core {

std::string paint(std::string_view text, Colour colour, bool enabled)
{
  if (!enabled || colour == Colour::none) {
    return std::string(text);
  }
  const char* code = "";
  switch (colour) {
  case Colour::red: code = "\033[31m"; break;
  case Colour::green: code = "\033[32m"; break;
  case Colour::yellow: code = "\033[33m"; break;
  case Colour::bold: code = "\033[1m"; break;
  case Colour::dim: code = "\033[2m"; break;
  case Colour::none: break;
  }
  return std::string(code) + std::string(text) + "\033[0m";
}

std::size_t display_width(std::string_view text)
{
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

Table::Table(std::vector<std::string> header) : m_header(std::move(header)) {}

void Table::add_row(std::vector<std::string> cells)
{
  cells.resize(m_header.size());
  m_rows.push_back(std::move(cells));
}

std::string Table::render(bool colour) const
{
  std::vector<std::size_t> widths(m_header.size());
  for (std::size_t i = 0; i < m_header.size(); ++i) {
    widths[i] = display_width(m_header[i]);
    for (const auto& row : m_rows) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const bool last = i + 1 == cells.size();
      std::string cell = cells[i];
      if (!last) {
        cell.append(widths[i] - display_width(cells[i]) + 2, ' ');
      }
      out += header ? paint(cell, Colour::bold, colour) : cell;
    }
    while (!out.empty() && out.back() == ' ') {
      out.pop_back();
    }
    return out + "\n";
  };
  std::string out = line(m_header, true);
  for (const auto& row : m_rows) {
    out += line(row, false);
  }
  return out;
}

} // namespace complycli::core
