// Saved HTTP response headers (`curl -sD FILE` or `curl -sI`): the last response in the file (after
// redirects and 100 Continue) becomes one endpoint with its headers.

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

} // namespace

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
  std::istringstream in(text);
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
    if (line.empty()) {
      in_headers = false;
      continue;
    }
    if (!in_headers) {
      break; // a body follows the headers; it is not evidence
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
