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

} // namespace complycli::util
