#include "questionnaire/sheet.hpp"

#include "render/csv.hpp"
#include "util/file.hpp"

#include <algorithm>

namespace complycli::questionnaire {

SheetFormat detect_format(const std::filesystem::path& path, std::string_view bytes)
{
  if (bytes.starts_with("PK\x03\x04")) {
    return SheetFormat::xlsx;
  }
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".xlsx" || ext == ".xlsm" ? SheetFormat::xlsx : SheetFormat::csv;
}

Result<Workbook> read_csv(std::string_view text, const std::string& name)
{
  Workbook book;
  book.format = SheetFormat::csv;
  book.bom = text.starts_with("\xEF\xBB\xBF");
  const auto lf = text.find('\n');
  book.crlf = lf != std::string_view::npos && lf > 0 && text[lf - 1] == '\r';
  const auto rows = TRY(render::parse_csv(text, name));
  Sheet sheet;
  sheet.name = std::filesystem::path(name).stem().string();
  for (const auto& row : rows) {
    sheet.rows.push_back(row.fields);
    sheet.lines.push_back(row.line);
  }
  book.sheets.push_back(std::move(sheet));
  return book;
}

Result<Workbook> read_workbook(const std::filesystem::path& path)
{
  auto bytes = TRY(util::read_file(path));
  if (detect_format(path, bytes) == SheetFormat::xlsx) {
    return read_xlsx(path);
  }
  return read_csv(bytes, path.string());
}

std::string write_csv(const Workbook& workbook)
{
  std::string out = workbook.bom ? "\xEF\xBB\xBF" : "";
  const char* eol = workbook.crlf ? "\r\n" : "\n";
  if (workbook.sheets.empty()) {
    return out;
  }
  for (const auto& row : workbook.sheets.front().rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += (i == 0 ? "" : ",") + render::csv_field(row[i]);
    }
    out += eol;
  }
  return out;
}

} // namespace complycli::questionnaire
