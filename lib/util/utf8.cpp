#include "util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace complycli::util {

namespace {

// The length of the well-formed UTF-8 sequence at `i`, or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t i)
{
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    low = c == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
    high = c == 0xED ? 0x9F : 0xBF; // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    low = c == 0xF0 ? 0x90 : 0x80;
    high = c == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) {
    return 0;
  }
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return length;
}

} // namespace

std::size_t invalid_utf8_offset(std::string_view text)
{
  for (std::size_t i = 0; i < text.size();) {
    const auto length = utf8_sequence(text, i);
    if (length == 0) {
      return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

std::optional<TextProblem> text_problem(std::string_view text)
{
  const auto nul = text.find('\0');
  const auto bad = invalid_utf8_offset(text.substr(0, nul));
  const auto offset = bad != std::string_view::npos ? bad : nul;
  if (offset == std::string_view::npos) {
    return std::nullopt;
  }
  TextProblem problem;
  const auto before = text.substr(0, offset);
  problem.line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
  const auto line_start = before.rfind('\n');
  problem.column = static_cast<int>(line_start == std::string_view::npos ? offset + 1 : offset - line_start);
  if (offset == nul && bad == std::string_view::npos) {
    problem.message = "a NUL byte (expected UTF-8 text; is this a binary or UTF-16 file?)";
  } else {
    problem.message = fmt::format("byte 0x{:02X} is not UTF-8 (expected UTF-8 text; convert the file, e.g. with "
                                  "`iconv -f latin1 -t utf-8`)",
                                  static_cast<unsigned char>(text[offset]));
  }
  return problem;
}

std::string to_valid_utf8(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto length = utf8_sequence(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

Result<void> check_utf8(std::string_view text, const std::string& name)
{
  if (const auto problem = text_problem(text)) {
    return fail(Errc::parse, "{}:{}:{}: {}", name, problem->line, problem->column, problem->message);
  }
  return {};
}

} // namespace complycli::util
