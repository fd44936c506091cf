#include "profile/roster.hpp"

#include "profile/schema.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace complycli::profile {

namespace {

struct Cell {
  std::string text;
  int column = 1; // 1-based byte column where the cell starts
};

// Split one CSV line (RFC 4180: commas, double quotes with "" inside quotes). Nullopt and the column
// of the problem if a quote is not closed or text follows a closing quote.
std::optional<std::vector<Cell>> split_line(std::string_view line, int& bad_column)
{
  std::vector<Cell> cells;
  std::size_t i = 0;
  while (true) {
    Cell cell;
    cell.column = static_cast<int>(i) + 1;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cell.text += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cell.text += line[i++];
      }
      if (!closed || (i < line.size() && line[i] != ',')) {
        bad_column = static_cast<int>(i) + 1;
        return std::nullopt;
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        cell.text += line[i++];
      }
    }
    // Surrounding spaces are not part of a value.
    const auto first = cell.text.find_first_not_of(" \t");
    const auto last = cell.text.find_last_not_of(" \t");
    cell.text = first == std::string::npos ? "" : cell.text.substr(first, last - first + 1);
    cells.push_back(std::move(cell));
    if (i >= line.size()) {
      return cells;
    }
    ++i; // the comma
  }
}

} // namespace

nlohmann::json read_roster(const std::string& text, const std::string& file, std::vector<Diagnostic>& diagnostics)
{
  const Field* person = find_child(profile_schema(), "people");
  std::vector<std::string_view> known;
  for (const auto& child : person->children) {
    known.push_back(child.name);
  }
  auto problem = [&](int line, int column, std::string message) {
    diagnostics.push_back(Diagnostic{file, line, column, std::move(message)});
  };

  nlohmann::json people = nlohmann::json::array();
  if (const auto bad = util::text_problem(text)) {
    problem(bad->line, bad->column, "not a CSV file: " + bad->message);
    return people;
  }
  std::vector<const Field*> columns;
  bool have_header = false;
  int line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line{text.data() + start, end - start};
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      continue;
    }
    int bad_column = 1;
    const auto cells = split_line(line, bad_column);
    if (!cells) {
      problem(line_number, bad_column, "malformed CSV: a quoted value is not closed, or text follows its closing quote");
      continue;
    }
    if (!have_header) {
      have_header = true;
      bool named = false;
      for (const auto& cell : *cells) {
        const Field* field = find_child(*person, cell.text);
        if (!field) {
          const auto suggestion = did_you_mean(cell.text, known);
          problem(line_number, cell.column,
                  suggestion.empty()
                      ? fmt::format("unknown roster column \"{}\" (expected: name, role, email, security_training, "
                                    "background_check, status)",
                                    cell.text)
                      : fmt::format("unknown roster column \"{}\"; did you mean \"{}\"?", cell.text, suggestion));
        } else if (std::find(columns.begin(), columns.end(), field) != columns.end()) {
          problem(line_number, cell.column, fmt::format("duplicate roster column \"{}\"", cell.text));
          field = nullptr;
        }
        named = named || (field && field->name == "name");
        columns.push_back(field);
      }
      if (!named) {
        problem(line_number, 1, "the roster's header has no \"name\" column (expected a header line such as "
                                "name,role,email,security_training,background_check)");
      }
      continue;
    }
    if (cells->size() != columns.size()) {
      problem(line_number, 1,
              fmt::format("expected {} values as in the header, got {}", columns.size(), cells->size()));
      continue;
    }
    nlohmann::json entry = nlohmann::json::object();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const Field* field = columns[i];
      const Cell& cell = (*cells)[i];
      if (!field) {
        continue;
      }
      if (cell.text.empty()) {
        if (field->presence == Presence::required) {
          problem(line_number, cell.column, fmt::format("{}: expected {}, got nothing", field->name, describe(field->kind)));
        }
        continue;
      }
      if (auto why = check_text(field->kind, cell.text)) {
        problem(line_number, cell.column, fmt::format("{}: {}", field->name, *why));
        continue;
      }
      if (!field->one_of.empty() &&
          std::find(field->one_of.begin(), field->one_of.end(), cell.text) == field->one_of.end()) {
        problem(line_number, cell.column,
                fmt::format("{}: expected one of {}, got \"{}\"", field->name, fmt::join(field->one_of, ", "), cell.text));
        continue;
      }
      entry[std::string(field->name)] = cell.text;
    }
    people.push_back(std::move(entry));
  }
  if (!have_header) {
    problem(1, 1, "the roster is empty (expected a header line such as "
                  "name,role,email,security_training,background_check, then one person per line)");
  }
  return people;
}

} // namespace complycli::profile
