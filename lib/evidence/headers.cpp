// Saved HTTP response headers (`curl -sD FILE` or `curl -sI`): the last response in the file (after
// redirects and 100 Continue) becomes one endpoint with its headers.

#include "evidence/loaders.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <regex>
#include <sstream>

namespace complycli::evidence {

namespace fs = std::filesystem;

Result<void> load_headers(LoadState& state, const fs::path& file, const std::string& text)
{
  const std::string name = file.string();
  if (const auto problem = util::find_invalid_utf8(text)) {
    return add_error(state, name, problem->line, "headers", problem->message());
  }
  static const std::regex status_line(R"(^HTTP/[0-9.]+ ([0-9]{3})( .*)?$)");
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
    std::smatch m;
    if (std::regex_match(line, m, status_line)) {
      status = std::stoi(m[1].str());
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
      return add_error(state, name, number, "headers", fmt::format("not a header line: \"{}\"", line));
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
