// XLSX in (minizip + pugixml) and out (libxlsxwriter, loaded with dlopen when a sheet is written).

#include "questionnaire/sheet.hpp"

#include <minizip/unzip.h>
#include <pugixml.hpp>
#include <xlsxwriter.h>

#include "util/cleanup.hpp"
#include "util/file.hpp"
#include "util/shared_library.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

namespace complycli::questionnaire {

namespace {

struct ZipCloser {
  void operator()(void* zip) const { unzClose(zip); }
};
using Zip = std::unique_ptr<void, ZipCloser>;

constexpr std::size_t max_part_bytes = std::size_t{256} << 20; // a zip bomb stops here

// The bytes of one part, or nullopt when the zip has no such part.
Result<std::optional<std::string>> read_part(void* zip, const std::string& file, const std::string& part)
{
  if (unzLocateFile(zip, part.c_str(), 1) != UNZ_OK) {
    return std::optional<std::string>();
  }
  if (unzOpenCurrentFile(zip) != UNZ_OK) {
    return fail(Errc::parse, "{}: not an XLSX file: cannot open part {}", file, part);
  }
  std::string out;
  char buffer[65536];
  while (true) {
    const int n = unzReadCurrentFile(zip, buffer, sizeof buffer);
    if (n < 0) {
      unzCloseCurrentFile(zip);
      return fail(Errc::parse, "{}: not an XLSX file: part {} is damaged (zip error {})", file, part, n);
    }
    if (n == 0) {
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_part_bytes) {
      unzCloseCurrentFile(zip);
      return fail(Errc::parse, "{}: part {} is larger than {} MiB", file, part, max_part_bytes >> 20);
    }
  }
  if (unzCloseCurrentFile(zip) != UNZ_OK) {
    return fail(Errc::parse, "{}: not an XLSX file: part {} fails its CRC check", file, part);
  }
  return std::optional<std::string>(std::move(out));
}

Result<pugi::xml_document> parse_xml(const std::string& text, const std::string& file, const std::string& part)
{
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!parsed) {
    return fail(Errc::parse, "{}: {}: XML error at byte {}: {}", file, part, parsed.offset, parsed.description());
  }
  return doc;
}

// The text of every <t> under `node` (rich text runs joined; phonetic runs left out).
std::string text_of(const pugi::xml_node& node)
{
  std::string out;
  for (const auto& child : node.children()) {
    const std::string name = child.name();
    if (name == "t") {
      out += child.text().get();
    } else if (name == "r") {
      out += text_of(child);
    }
  }
  return out;
}

// "BC12" -> column 54 (0-based), row 11 (0-based); false when it is not a cell reference.
bool parse_ref(const char* ref, std::size_t& column, std::size_t& row)
{
  std::size_t col = 0;
  std::size_t i = 0;
  for (; ref[i] >= 'A' && ref[i] <= 'Z'; ++i) {
    col = col * 26 + static_cast<std::size_t>(ref[i] - 'A' + 1);
  }
  if (i == 0 || col > 16384) {
    return false;
  }
  std::size_t r = 0;
  std::size_t digits = 0;
  for (; ref[i] >= '0' && ref[i] <= '9'; ++i, ++digits) {
    r = r * 10 + static_cast<std::size_t>(ref[i] - '0');
  }
  if (digits == 0 || digits > 7 || ref[i] != '\0' || r == 0 || r > 1048576) {
    return false;
  }
  column = col - 1;
  row = r - 1;
  return true;
}

std::string resolve_target(const std::string& target)
{
  if (target.starts_with("/")) {
    return target.substr(1);
  }
  return "xl/" + target;
}

} // namespace

Result<Workbook> read_xlsx(const std::filesystem::path& path)
{
  const std::string file = path.string();
  Zip zip(unzOpen64(file.c_str()));
  if (!zip) {
    return fail(Errc::parse, "{}: not an XLSX file (not a zip archive)", file);
  }
  const auto workbook_xml = TRY(read_part(zip.get(), file, "xl/workbook.xml"));
  if (!workbook_xml) {
    return fail(Errc::parse, "{}: not an XLSX file (no xl/workbook.xml)", file);
  }
  const auto workbook = TRY(parse_xml(*workbook_xml, file, "xl/workbook.xml"));
  std::map<std::string, std::string> targets;
  if (const auto rels_xml = TRY(read_part(zip.get(), file, "xl/_rels/workbook.xml.rels"))) {
    const auto rels = TRY(parse_xml(*rels_xml, file, "xl/_rels/workbook.xml.rels"));
    for (const auto& rel : rels.child("Relationships").children("Relationship")) {
      targets[rel.attribute("Id").value()] = resolve_target(rel.attribute("Target").value());
    }
  }
  std::vector<std::string> shared;
  if (const auto strings_xml = TRY(read_part(zip.get(), file, "xl/sharedStrings.xml"))) {
    const auto strings = TRY(parse_xml(*strings_xml, file, "xl/sharedStrings.xml"));
    for (const auto& si : strings.child("sst").children("si")) {
      shared.push_back(text_of(si));
    }
  }
  Workbook book;
  book.format = SheetFormat::xlsx;
  std::size_t index = 0;
  for (const auto& entry : workbook.child("workbook").child("sheets").children("sheet")) {
    ++index;
    Sheet sheet;
    sheet.name = entry.attribute("name").value();
    const std::string rid = entry.attribute("r:id").value();
    const std::string part = targets.contains(rid) ? targets[rid] : "xl/worksheets/sheet" + std::to_string(index) + ".xml";
    const auto sheet_xml = TRY(read_part(zip.get(), file, part));
    if (!sheet_xml) {
      return fail(Errc::parse, "{}: sheet \"{}\" names part {}, which the archive lacks", file, sheet.name, part);
    }
    const auto doc = TRY(parse_xml(*sheet_xml, file, part));
    std::size_t next_row = 0;
    for (const auto& row : doc.child("worksheet").child("sheetData").children("row")) {
      std::size_t r = next_row;
      if (const auto attr = row.attribute("r")) {
        r = attr.as_ullong() > 0 ? static_cast<std::size_t>(attr.as_ullong() - 1) : next_row;
      }
      if (r > 1048575) {
        return fail(Errc::parse, "{}: {}: row number {} is out of range", file, part, r + 1);
      }
      next_row = r + 1;
      if (sheet.rows.size() <= r) {
        sheet.rows.resize(r + 1);
      }
      auto& cells = sheet.rows[r];
      std::size_t next_col = 0;
      for (const auto& c : row.children("c")) {
        std::size_t col = next_col;
        std::size_t ref_row = r;
        if (const auto ref = c.attribute("r"); ref && !parse_ref(ref.value(), col, ref_row)) {
          return fail(Errc::parse, "{}: {}: \"{}\" is not a cell reference", file, part, ref.value());
        }
        next_col = col + 1;
        const std::string type = c.attribute("t").value();
        std::string value;
        if (type == "s") {
          const auto i = c.child("v").text().as_ullong(shared.size());
          if (i >= shared.size()) {
            return fail(Errc::parse, "{}: {}: cell {} names shared string {}, which does not exist", file, part,
                        c.attribute("r").value(), c.child("v").text().get());
          }
          value = shared[i];
        } else if (type == "inlineStr") {
          value = text_of(c.child("is"));
        } else if (type == "b") {
          value = std::string(c.child("v").text().get()) == "1" ? "TRUE" : "FALSE";
        } else {
          value = c.child("v").text().get();
        }
        if (cells.size() <= col) {
          cells.resize(col + 1);
        }
        cells[col] = std::move(value);
      }
    }
    book.sheets.push_back(std::move(sheet));
  }
  if (book.sheets.empty()) {
    return fail(Errc::parse, "{}: the workbook has no sheets", file);
  }
  return book;
}

namespace {

// libxlsxwriter's functions, looked up when the first sheet is written. Debian ships it only as a shared
// library, and it loads libcrypto.so.3, libminizip and zlib in turn: linked, those four cost every
// process about 1 ms to start (bench/audit.sh's `audit prove`), for the one command that writes XLSX.
struct Xlsxwriter {
  std::string error; // empty once every function is found
  decltype(&::workbook_new_opt) workbook_new_opt = nullptr;
  decltype(&::workbook_add_format) workbook_add_format = nullptr;
  decltype(&::workbook_add_worksheet) workbook_add_worksheet = nullptr;
  decltype(&::workbook_close) workbook_close = nullptr;
  decltype(&::format_set_bold) format_set_bold = nullptr;
  decltype(&::format_set_text_wrap) format_set_text_wrap = nullptr;
  decltype(&::format_set_align) format_set_align = nullptr;
  decltype(&::worksheet_write_string) worksheet_write_string = nullptr;
  decltype(&::lxw_strerror) lxw_strerror = nullptr;
};

Result<const Xlsxwriter*> xlsxwriter()
{
  static const Xlsxwriter loaded = [] {
    util::SharedLibrary library("libxlsxwriter.so.4");
    Xlsxwriter x;
    library.find("workbook_new_opt", x.workbook_new_opt);
    library.find("workbook_add_format", x.workbook_add_format);
    library.find("workbook_add_worksheet", x.workbook_add_worksheet);
    library.find("workbook_close", x.workbook_close);
    library.find("format_set_bold", x.format_set_bold);
    library.find("format_set_text_wrap", x.format_set_text_wrap);
    library.find("format_set_align", x.format_set_align);
    library.find("worksheet_write_string", x.worksheet_write_string);
    library.find("lxw_strerror", x.lxw_strerror);
    x.error = library.error();
    return x;
  }();
  if (!loaded.error.empty()) {
    return std::unexpected(Error{Errc::io, fmt::format("cannot write XLSX: {}", loaded.error),
                                 "install libxlsxwriter (Debian: apt-get install libxlsxwriter4), or write the answers as CSV (--format csv)"});
  }
  return &loaded;
}

Result<void> write_xlsx_file(const Workbook& workbook, const std::filesystem::path& path, std::size_t question_sheet)
{
  const Xlsxwriter& x = *TRY(xlsxwriter());
  lxw_workbook_options options{};
  options.constant_memory = LXW_FALSE;
  options.tmpdir = nullptr;
  options.use_zip64 = LXW_FALSE;
  lxw_workbook* book = x.workbook_new_opt(path.c_str(), &options);
  if (book == nullptr) {
    return fail(Errc::io, "cannot create {}", path.string());
  }
  lxw_format* bold = x.workbook_add_format(book);
  x.format_set_bold(bold);
  lxw_format* wrap = x.workbook_add_format(book);
  x.format_set_text_wrap(wrap);
  x.format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
  for (std::size_t s = 0; s < workbook.sheets.size(); ++s) {
    const auto& sheet = workbook.sheets[s];
    lxw_worksheet* ws = x.workbook_add_worksheet(book, sheet.name.empty() ? nullptr : sheet.name.c_str());
    if (ws == nullptr) {
      x.workbook_close(book);
      return fail(Errc::io, "cannot add sheet \"{}\" to {}", sheet.name, path.string());
    }
    for (std::size_t r = 0; r < sheet.rows.size() && r < LXW_ROW_MAX; ++r) {
      for (std::size_t c = 0; c < sheet.rows[r].size() && c < LXW_COL_MAX; ++c) {
        const auto& text = sheet.rows[r][c];
        if (text.empty()) {
          continue;
        }
        lxw_format* format = s == question_sheet ? (r == 0 ? bold : wrap) : nullptr;
        const auto rc = x.worksheet_write_string(ws, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c),
                                               text.c_str(), format);
        if (rc != LXW_NO_ERROR) {
          x.workbook_close(book);
          return fail(Errc::io, "{}: sheet \"{}\" cell {}:{}: {}", path.string(), sheet.name, r + 1, c + 1,
                      x.lxw_strerror(rc));
        }
      }
    }
  }
  if (const auto rc = x.workbook_close(book); rc != LXW_NO_ERROR) {
    return fail(Errc::io, "cannot write {}: {}", path.string(), x.lxw_strerror(rc));
  }
  return {};
}

} // namespace

Result<std::string> write_xlsx(const Workbook& workbook, std::size_t question_sheet)
{
  // libxlsxwriter writes to a named file: a private temporary one, read back and removed.
  std::error_code ec;
  const auto dir = std::filesystem::temp_directory_path(ec);
  std::string name = ((ec ? std::filesystem::path("/tmp") : dir) / "complycli-xlsx-XXXXXX").string();
  const int fd = mkstemp(name.data());
  if (fd < 0) {
    return fail(Errc::io, "cannot create a temporary file in {}: {}", name, std::strerror(errno));
  }
  ::close(fd);
  struct Remove {
    std::string path;
    int slot;
    ~Remove()
    {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
      util::forget_file(slot);
    }
  } remove{name, util::register_file_for_cleanup(name)};
  TRY_VOID(write_xlsx_file(workbook, name, question_sheet));
  return util::read_file(name);
}

} // namespace complycli::questionnaire
