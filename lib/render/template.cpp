#include "render/template.hpp"

#include "render/csv.hpp"
#include "util/data_dir.hpp"
#include "util/env.hpp"
#include "util/file.hpp"
#include "util/utf8.hpp"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace complycli::render {

namespace mstch = kainjow::mustache;

namespace {

// Tags are rewritten before rendering so that a lookup says what asked for it: a variable tag
// `{{name}}` becomes `{{name<mark>v<line>}}`, a section tag `{{#name}}` / `{{^name}}` / `{{/name}}`
// gets `<mark>s`. The mark is a control character no template contains.
constexpr char tag_mark = '\x1f';

// kainjow drops a line that holds only a section tag when the section renders, but keeps it (as an
// empty line) when the section is skipped. To get the Mustache spec's behaviour (a standalone tag's
// line is never output) every standalone section or comment tag line gets this sentinel before its
// tag, so kainjow always keeps it, and `drop_standalone_lines` removes the sentinel lines afterwards.
constexpr char standalone_mark = '\x1e';

// Whether `line` holds only a section or comment tag: [ \t]*{{[ \t]*[#^/!][^}]*}}[ \t]*\r? (matched by
// hand: std::regex recurses once per character and a megabyte-long line overflowed the stack).
bool is_standalone_tag_line(std::string_view line)
{
  const auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  std::size_t i = 0;
  while (i < line.size() && is_blank(line[i])) {
    ++i;
  }
  if (line.substr(i, 2) != "{{") {
    return false;
  }
  i += 2;
  while (i < line.size() && is_blank(line[i])) {
    ++i;
  }
  if (i >= line.size() || std::string_view("#^/!").find(line[i]) == std::string_view::npos) {
    return false;
  }
  const auto close = line.find('}', i);
  if (close == std::string_view::npos || line.substr(close, 2) != "}}") {
    return false;
  }
  i = close + 2;
  while (i < line.size() && is_blank(line[i])) {
    ++i;
  }
  if (i < line.size() && line[i] == '\r') {
    ++i;
  }
  return i == line.size();
}

std::string mark_standalone_lines(std::string_view text)
{
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    const bool has_newline = end != std::string_view::npos;
    if (!has_newline) {
      end = text.size();
    }
    const std::string line(text.substr(start, end - start));
    if (is_standalone_tag_line(line)) {
      const auto brace = line.find("{{");
      out += line.substr(0, brace);
      out += standalone_mark;
      out += line.substr(brace);
    } else {
      out += line;
    }
    if (has_newline) {
      out += '\n';
    }
    start = end + 1;
  }
  return out;
}

std::string drop_standalone_lines(const std::string& rendered)
{
  std::string out;
  out.reserve(rendered.size());
  std::size_t start = 0;
  while (start < rendered.size()) {
    auto end = rendered.find('\n', start);
    const bool has_newline = end != std::string::npos;
    if (!has_newline) {
      end = rendered.size();
    }
    std::string line = rendered.substr(start, end - start);
    if (line.find(standalone_mark) != std::string::npos) {
      std::erase(line, standalone_mark);
      if (line.find_first_not_of(" \t\r") == std::string::npos) {
        start = end + 1;
        continue;
      }
    }
    out += line;
    if (has_newline) {
      out += '\n';
    }
    start = end + 1;
  }
  return out;
}

struct LineCol {
  std::size_t line = 1;
  std::size_t column = 1;
};

LineCol line_col(std::string_view text, std::size_t position)
{
  LineCol lc;
  for (std::size_t i = 0; i < position && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      lc.column = 1;
    } else {
      ++lc.column;
    }
  }
  return lc;
}

std::string trim(std::string_view s)
{
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// Rewrite tags as described above. The text has already parsed, so every tag is closed.
// Parsing and rendering recurse once per open section: a template nested 20,000 deep took 15 s.
constexpr std::size_t max_section_depth = 100;

// The position of the first section tag nested deeper than max_section_depth, if any.
std::optional<std::size_t> too_deep_section(std::string_view text)
{
  std::size_t depth = 0;
  for (auto i = text.find("{{"); i != std::string_view::npos; i = text.find("{{", i + 2)) {
    auto k = i + 2;
    while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) {
      ++k;
    }
    if (k >= text.size()) {
      break;
    }
    if (text[k] == '#' || text[k] == '^') {
      if (++depth > max_section_depth) {
        return i;
      }
    } else if (text[k] == '/' && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

Result<std::string> mark_tags(std::string_view text, const std::string& name)
{
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t i = 0;
  std::size_t line = 1;
  while (i < text.size()) {
    if (text.compare(i, 2, "{{") != 0) {
      if (text[i] == '\n') {
        ++line;
      }
      out += text[i++];
      continue;
    }
    const bool triple = i + 2 < text.size() && text[i + 2] == '{';
    const std::size_t content_start = i + (triple ? 3 : 2);
    const std::string_view close = triple ? "}}}" : "}}";
    const std::size_t end = text.find(close, content_start);
    if (end == std::string_view::npos) {
      return fail(Errc::internal, "{}: unclosed tag after parsing", name);
    }
    const std::string content = trim(text.substr(content_start, end - content_start));
    const std::string_view raw = text.substr(i, end + close.size() - i);
    const std::size_t tag_line = line;
    for (const char c : raw) {
      if (c == '\n') {
        ++line;
      }
    }
    i = end + close.size();
    if (triple) {
      out += fmt::format("{{{{{{{}{}v{}}}}}}}", content, tag_mark, tag_line);
      continue;
    }
    if (content.empty()) {
      out += raw;
      continue;
    }
    const char kind = content[0];
    if (kind == '=') {
      const auto lc = line_col(text, i - raw.size());
      return fail(Errc::config, "{}:{}:{}: set-delimiter tags are not supported", name, lc.line, lc.column);
    }
    if (kind == '>') {
      const auto lc = line_col(text, i - raw.size());
      return fail(Errc::config, "{}:{}:{}: partials ({{{{> name}}}}) are not supported (expected the whole template in one file)",
                  name, lc.line, lc.column);
    }
    if (kind == '!') {
      out += raw;
      continue;
    }
    if (kind == '#' || kind == '^' || kind == '/') {
      out += fmt::format("{{{{{}{}{}s}}}}", kind, trim(content.substr(1)), tag_mark);
      continue;
    }
    if (kind == '&') {
      out += fmt::format("{{{{&{}{}v{}}}}}", trim(content.substr(1)), tag_mark, tag_line);
      continue;
    }
    out += fmt::format("{{{{{}{}v{}}}}}", content, tag_mark, tag_line);
  }
  return out;
}

struct Missing {
  std::string field;
  std::size_t line = 0;
};

// A context that resolves marked names and remembers the first variable it could not resolve,
// with the path of sections it was inside (e.g. "subprocessors[2].purpose").
class StrictContext : public mstch::context<std::string> {
public:
  void push(const mstch::data* data) override
  {
    Frame frame;
    if (m_last_was_pop && m_last_popped) {
      frame = *m_last_popped;
      if (frame.list) {
        ++frame.index;
      }
    } else if (m_pending) {
      frame = *m_pending;
      m_pending.reset();
    }
    m_frames.push_back(frame);
    m_last_was_pop = false;
    mstch::context<std::string>::push(data);
  }

  void pop() override
  {
    m_last_popped = m_frames.back();
    m_frames.pop_back();
    m_last_was_pop = true;
    mstch::context<std::string>::pop();
  }

  const mstch::data* get(const std::string& marked) const override
  {
    const auto mark = marked.find(tag_mark);
    if (mark == std::string::npos) {
      return mstch::context<std::string>::get(marked);
    }
    const std::string name = marked.substr(0, mark);
    const bool is_section = marked.compare(mark + 1, 1, "s") == 0;
    const mstch::data* value = mstch::context<std::string>::get(name);
    if (is_section) {
      m_last_was_pop = false;
      if (value && !value->is_false() && !value->is_empty_list()) {
        m_pending = Frame{name, value->is_list(), 0};
      } else {
        m_pending.reset();
      }
    } else if (value == nullptr && !m_missing) {
      // Derived text forms (`locations_text`) are named after the field they come from.
      std::string field = name;
      if (field.size() > 5 && field.ends_with("_text")) {
        field.resize(field.size() - 5);
      }
      m_missing = Missing{field_path(field), std::strtoul(marked.c_str() + mark + 2, nullptr, 10)};
    }
    return value;
  }

  const std::optional<Missing>& missing() const { return m_missing; }

private:
  struct Frame {
    std::string name;
    bool list = false;
    std::size_t index = 0;
  };

  std::string field_path(const std::string& name) const
  {
    std::string path;
    for (const auto& frame : m_frames) {
      if (frame.name.empty()) {
        continue;
      }
      path += frame.list ? fmt::format("{}[{}].", frame.name, frame.index) : frame.name + ".";
    }
    return path + name;
  }

  std::vector<Frame> m_frames;
  mutable std::optional<Frame> m_pending;
  mutable std::optional<Frame> m_last_popped;
  mutable bool m_last_was_pop = false;
  mutable std::optional<Missing> m_missing;
};

mstch::data to_mustache(const nlohmann::json& value)
{
  switch (value.type()) {
  case nlohmann::json::value_t::object: {
    mstch::object object;
    for (const auto& [key, item] : value.items()) {
      if (!item.is_null()) {
        object.emplace(key, to_mustache(item));
      }
    }
    return object;
  }
  case nlohmann::json::value_t::array: {
    mstch::list list;
    for (const auto& item : value) {
      list.push_back(to_mustache(item));
    }
    return list;
  }
  case nlohmann::json::value_t::string: return value.get<std::string>();
  case nlohmann::json::value_t::boolean: return mstch::data(value.get<bool>());
  case nlohmann::json::value_t::null: return mstch::data(false);
  default: return value.dump();
  }
}

// kainjow reports "Unclosed section \"x\" at 123": lower-case it and turn the offset into line:column.
std::string syntax_error(std::string_view text, const std::string& name, const std::string& message)
{
  // Not std::regex: the message quotes the tag, which may be megabytes long.
  std::string what = message;
  LineCol lc;
  const auto at = message.rfind(" at ");
  if (at != std::string::npos && at + 4 < message.size() && message.size() - at - 4 <= 18 &&
      std::all_of(message.begin() + static_cast<std::ptrdiff_t>(at + 4), message.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    what = message.substr(0, at);
    lc = line_col(text, std::stoul(message.substr(at + 4)));
  }
  if (what.size() > 200) {
    what = fmt::format("{}... ({} bytes)", what.substr(0, 200), what.size());
  }
  if (!what.empty()) {
    what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  }
  return fmt::format("{}:{}:{}: {}", name, lc.line, lc.column, what);
}

} // namespace

std::vector<std::filesystem::path> TemplateDirs::search_path() const
{
  std::vector<std::filesystem::path> dirs;
  if (override_dir) {
    dirs.push_back(*override_dir);
  }
  if (auto env = util::get_env("COMPLYCLI_DATA_DIR")) {
    dirs.push_back(std::filesystem::path(*env) / "templates");
  }
  dirs.push_back(util::installed_data_dir() / "templates");
  dirs.push_back(std::filesystem::path(COMPLYCLI_SOURCE_DIR) / "templates");
  return dirs;
}

Result<std::filesystem::path> TemplateDirs::find(std::string_view name) const
{
  std::error_code ec;
  for (const auto& dir : search_path()) {
    const auto candidate = dir / name;
    if (std::filesystem::is_regular_file(candidate, ec)) {
      return candidate;
    }
  }
  return fail_with_hint(Errc::config, "set COMPLYCLI_DATA_DIR to the folder that holds templates/, or pass --template-dir",
                        "template {} not found", name);
}

Result<std::string> render_text(std::string_view text, const std::string& name, const nlohmann::json& data,
                                Escape escape)
{
  if (const auto problem = util::text_problem(text)) {
    return fail(Errc::config, "{}:{}:{}: not a template: {}", name, problem->line, problem->column, problem->message);
  }
  if (const auto deep = too_deep_section(text)) {
    const auto lc = line_col(text, *deep);
    return fail(Errc::config, "{}:{}:{}: sections nested more than {} deep (expected at most {})", name, lc.line,
                lc.column, max_section_depth, max_section_depth);
  }
  const std::string source(text);
  {
    mstch::mustache parsed{source};
    if (!parsed.is_valid()) {
      return std::unexpected(Error{Errc::config, syntax_error(text, name, parsed.error_message()), {}});
    }
  }
  const std::string marked = TRY(mark_tags(mark_standalone_lines(text), name));
  mstch::mustache tmpl{marked};
  if (!tmpl.is_valid()) {
    return fail(Errc::internal, "{}: {}", name, tmpl.error_message());
  }
  switch (escape) {
  case Escape::html: break; // kainjow escapes & < > " '
  case Escape::none: tmpl.set_custom_escape([](const std::string& s) { return s; }); break;
  case Escape::csv: tmpl.set_custom_escape([](const std::string& s) { return csv_field(s); }); break;
  }
  const mstch::data root = to_mustache(data);
  StrictContext ctx;
  ctx.push(&root);
  std::string out = drop_standalone_lines(tmpl.render(ctx));
  if (!tmpl.is_valid()) {
    return fail(Errc::config, "{}: {}", name, tmpl.error_message());
  }
  if (const auto& missing = ctx.missing()) {
    return fail_with_hint(Errc::config, "add the field to the profile, or change the template",
                          "{}:{}: the template needs \"{}\", which the data does not have", name, missing->line,
                          missing->field);
  }
  return out;
}

Result<std::string> render_file(const std::filesystem::path& path, const nlohmann::json& data, Escape escape)
{
  const auto text = TRY(util::read_file(path));
  return render_text(text, path.string(), data, escape);
}

} // namespace complycli::render
