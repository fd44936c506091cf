#include "util/scalar.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace complycli::util {

namespace {

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_label_char(char c)
{
  return is_digit(c) || is_alpha(c) || c == '-';
}

bool is_blank(char c)
{
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Skip digits from `i`; return how many.
std::size_t digits(std::string_view text, std::size_t& i)
{
  const std::size_t start = i;
  while (i < text.size() && is_digit(text[i])) {
    ++i;
  }
  return i - start;
}

// LABEL(.LABEL)* from `i`; the labels, or 0 when it does not start with a label or ends with a dot.
std::size_t labels(std::string_view text, std::size_t& i, std::string_view& last)
{
  std::size_t count = 0;
  while (true) {
    const std::size_t start = i;
    while (i < text.size() && is_label_char(text[i])) {
      ++i;
    }
    if (i == start) {
      return 0;
    }
    last = text.substr(start, i - start);
    ++count;
    if (i < text.size() && text[i] == '.') {
      ++i;
      continue;
    }
    return count;
  }
}

} // namespace

bool is_decimal_integer(std::string_view text)
{
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    ++i;
  }
  return digits(text, i) > 0 && i == text.size();
}

bool is_decimal_real(std::string_view text)
{
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits(text, i) == 0) {
      return false;
    }
  } else {
    if (digits(text, i) == 0) {
      return false;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      digits(text, i);
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      ++i;
    }
    if (digits(text, i) == 0) {
      return false;
    }
  }
  return i == text.size();
}

bool is_email_shape(std::string_view text)
{
  const auto at = text.find('@');
  // RFC 5321: at most 64 bytes before the @, 254 in all.
  if (at == 0 || at == std::string_view::npos || at > 64 || text.size() > 254) {
    return false;
  }
  const auto local = text.substr(0, at);
  if (std::any_of(local.begin(), local.end(), [](char c) {
        return is_blank(c) || std::string_view("<>()\",;").find(c) != std::string_view::npos;
      })) {
    return false;
  }
  // The domain: at least two labels, the last one (the top-level domain) two letters or more.
  std::size_t i = at + 1;
  std::string_view last;
  if (labels(text, i, last) < 2 || i != text.size() || text.back() == '.') {
    return false;
  }
  return last.size() >= 2 && std::all_of(last.begin(), last.end(), is_alpha);
}

bool is_url_shape(std::string_view text)
{
  std::size_t i = 0;
  if (text.substr(0, 8) == "https://") {
    i = 8;
  } else if (text.substr(0, 7) == "http://") {
    i = 7;
  } else {
    return false;
  }
  std::string_view last;
  if (labels(text, i, last) == 0 || text[i - 1] == '.') {
    return false;
  }
  if (i < text.size() && text[i] == ':') {
    ++i;
    if (digits(text, i) == 0) {
      return false;
    }
  }
  if (i == text.size()) {
    return true;
  }
  if (std::string_view("/?#").find(text[i]) == std::string_view::npos) {
    return false;
  }
  return std::none_of(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(), is_blank);
}

bool is_date_shape(std::string_view text)
{
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i != 4 && i != 7 && !is_digit(text[i])) {
      return false;
    }
  }
  return true;
}

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
  problem.line = static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
  const auto line_start = before.rfind('\n');
  problem.column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
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

} // namespace complycli::util
