#include "render/csv.hpp"

#include "util/utf8.hpp"

namespace complycli::render {

Result<std::vector<CsvRow>> parse_csv(std::string_view text, const std::string& name)
{
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  if (const auto problem = util::text_problem(text)) {
    return fail(Errc::parse, "{}:{}:{}: not a CSV file: {}", name, problem->line, problem->column, problem->message);
  }
  std::vector<CsvRow> rows;
  std::size_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    CsvRow row;
    row.row = rows.size() + 1;
    row.line = line;
    std::string field;
    bool record_done = false;
    bool blank = true;
    while (!record_done) {
      field.clear();
      if (i < n && text[i] == '"') {
        blank = false;
        const std::size_t quote_line = line;
        ++i;
        while (true) {
          if (i >= n) {
            return fail(Errc::parse, "{}:{}: row {}: a quoted field opened on line {} is never closed", name,
                        row.line, row.row, quote_line);
          }
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') {
            ++line;
          }
          field += c;
          ++i;
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
          return fail(Errc::parse, "{}:{}: row {}: unexpected text after a closing quote", name, line, row.row);
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') {
            return fail(Errc::parse, "{}:{}: row {}: a quote inside an unquoted field", name, line, row.row);
          }
          field += text[i];
          ++i;
        }
        if (i < n && text[i] == '\r' && !(i + 1 < n && text[i + 1] == '\n')) {
          return fail(Errc::parse, "{}:{}: row {}: a bare carriage return", name, line, row.row);
        }
        if (!field.empty()) {
          blank = false;
        }
      }
      row.fields.push_back(field);
      if (i >= n) {
        record_done = true;
      } else if (text[i] == ',') {
        blank = false;
        ++i;
      } else { // \n or \r\n
        i += text[i] == '\r' ? 2 : 1;
        ++line;
        record_done = true;
      }
    }
    if (!blank) {
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::string csv_field(std::string_view value)
{
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(value);
  }
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

} // namespace complycli::render
