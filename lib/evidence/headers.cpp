// Saved HTTP response headers (`curl -sD FILE`, `curl -sI`, `curl -si` with the body, or `curl -v`
// output with its `* `, `> ` and `< ` lines): the last response in the file (after redirects and
// 100 Continue) becomes one endpoint with its headers. Each header line is one row; the checks join
// the lines of one header as browsers do (docs/checks.md, evidence/http_rules.hpp).

#include "evidence/loaders.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <sstream>

namespace complycli::evidence {

namespace fs = std::filesystem;

namespace {

// The status of an `HTTP/VERSION NNN[ REASON]` line, else 0. Not std::regex: libstdc++'s recurses once
// per character and a megabyte-long reason phrase overflowed the stack.
int status_of(std::string_view line)
{
  if (line.substr(0, 5) != "HTTP/") {
    return 0;
  }
  std::size_t i = 5;
  while (i < line.size() && (std::isdigit(static_cast<unsigned char>(line[i])) != 0 || line[i] == '.')) {
    ++i;
  }
  if (i == 5 || i + 4 > line.size() || line[i] != ' ') {
    return 0;
  }
  const auto code = line.substr(i + 1, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return 0;
  }
  if (i + 4 < line.size() && line[i + 4] != ' ') {
    return 0;
  }
  return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
}

// A line quoted in a message, cut to a readable length.
std::string excerpt(const std::string& line)
{
  return line.size() <= 80 ? line : line.substr(0, 80) + fmt::format("... ({} bytes)", line.size());
}

// curl -v writes its own notes (`* `), the request (`> `) and the response (`< `), one per line; the
// body, if any, follows unmarked. Whether `text` is such output: its first line is one of curl's.
bool is_curl_verbose(std::string_view text)
{
  const auto end = text.find('\n');
  const auto first = text.substr(0, end);
  return !first.empty() && (first[0] == '*' || first[0] == '>' || first[0] == '<') &&
         (first.size() == 1 || first[1] == ' ' || first[1] == '\r');
}

// The response lines of curl -v output, with the `< ` mark removed (a bare `<` is the blank line that
// ends the headers); every other line becomes empty, so that line numbers stay those of the file.
std::string response_lines(const std::string& text)
{
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.rfind("< ", 0) == 0) {
      out.append(line.substr(2));
    } else if (line == "<") {
      // the end of the headers: stays an empty line
    } else if (!line.empty() && (line[0] == '*' || line[0] == '>' || line[0] == '{' || line[0] == '}')) {
      // curl's notes, the request and data markers
    } else if (!line.empty()) {
      out.append(" "); // a body line: not a header, not a status line
    }
    out.push_back('\n');
    start = end + 1;
  }
  return out;
}

} // namespace

bool looks_like_http_response(const std::string& text)
{
  // The line that starts at `pos`, without its line end.
  const auto line_at = [&text](std::size_t pos) {
    std::string_view line(text.data() + pos, std::min<std::size_t>(text.size() - pos, 512));
    line = line.substr(0, line.find('\n'));
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    return line;
  };
  if (status_of(line_at(0)) != 0) {
    return true;
  }
  if (!is_curl_verbose(text)) {
    return false;
  }
  const auto response = text.find("\n< HTTP/");
  return response != std::string::npos && status_of(line_at(response + 3)) != 0;
}

Result<void> load_headers(LoadState& state, const fs::path& file, const std::string& text)
{
  const std::string name = file.string();
  if (const auto problem = util::text_problem(text)) {
    return add_error(state, name, problem->line, "headers", problem->message);
  }
  struct Header {
    std::string name;
    std::string value;
    int line;
  };
  int status = 0;
  int status_line_number = 0;
  std::vector<Header> headers;
  std::istringstream in(is_curl_verbose(text) ? response_lines(text) : text);
  std::string line;
  int number = 0;
  bool in_headers = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (const int code = status_of(line); code != 0) {
      status = code;
      status_line_number = number;
      headers.clear();
      in_headers = true;
      continue;
    }
    if (line.empty() || line == " ") {
      in_headers = false;
      continue;
    }
    if (!in_headers) {
      continue; // a body (curl -i) follows the headers; it is not evidence, but another response may follow it
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return add_error(state, name, number, "headers", fmt::format("not a header line (expected NAME: VALUE): \"{}\"", excerpt(line)));
    }
    std::string header = line.substr(0, colon);
    std::transform(header.begin(), header.end(), header.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? "" : value.substr(first);
    headers.push_back(Header{header, value, number});
  }
  if (status == 0) {
    return add_error(state, name, 1, "headers", "no HTTP status line");
  }
  TRY_VOID(add_input(state, name, "headers"));
  const int64_t endpoint = state.next_endpoint++;
  TRY_VOID(state.db.insert("http_endpoints", {endpoint, "headers " + file.filename().string(), std::string("headers"),
                                              int64_t{status}, name, int64_t{status_line_number}}));
  for (const auto& h : headers) {
    TRY_VOID(state.db.insert("http_headers", {endpoint, h.name, h.value, name, int64_t{h.line}}));
  }
  return {};
}

} // namespace complycli::evidence
