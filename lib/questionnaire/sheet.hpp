#pragma once

// A customer's questionnaire as a workbook of sheets of text cells, read from CSV or XLSX and written
// back in the same shape: every sheet, row and cell in the customer's order, with answer columns added
// to the sheet that holds the questions.

#include "core/error.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::questionnaire {

enum class SheetFormat { csv, xlsx };

struct Sheet {
  std::string name;
  std::vector<std::vector<std::string>> rows; // rows[0] is the header row of a question sheet
  std::vector<std::size_t> lines;             // CSV: the line each row starts on (for messages)
};

struct Workbook {
  SheetFormat format = SheetFormat::csv;
  std::vector<Sheet> sheets;
  bool bom = false;  // CSV: the input started with a UTF-8 byte-order mark (kept on output)
  bool crlf = false; // CSV: the input ended its lines with CR LF (kept on output)
};

// CSV or XLSX by the file's first bytes ("PK" is a zip, so XLSX), else by its extension.
SheetFormat detect_format(const std::filesystem::path& path, std::string_view bytes);

// Parse CSV text (BOM, CRLF, quoted fields with line breaks): one sheet named after the file.
Result<Workbook> read_csv(std::string_view text, const std::string& name);

// Read an XLSX file (a zip of SpreadsheetML parts) with minizip and pugixml: every worksheet in
// workbook order, cells placed by their references (gaps are empty text), shared and inline strings,
// numbers as written. Errc::parse naming the file and the part for anything that does not parse.
Result<Workbook> read_xlsx(const std::filesystem::path& path);

// Read `path` as CSV or XLSX.
Result<Workbook> read_workbook(const std::filesystem::path& path);

// The workbook as CSV text (only the first sheet: CSV has one), with the input's BOM and line ends.
std::string write_csv(const Workbook& workbook);

// The workbook as XLSX bytes, written by libxlsxwriter: every sheet in order, every cell as text; the
// header row of `question_sheet` in bold, its other cells wrapped.
Result<std::string> write_xlsx(const Workbook& workbook, std::size_t question_sheet);

} // namespace complycli::questionnaire
