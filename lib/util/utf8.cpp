#include "util/utf8.hpp"

namespace complycli::util {

std::string Utf8Problem::message() const
{
  return fmt::format("not UTF-8 text (byte 0x{:02X})", byte);
}

std::optional<Utf8Problem> find_invalid_utf8(std::string_view text)
{
  int line = 1;
  std::size_t line_start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<uint8_t>(text[i]);
    std::size_t length = 0;
    uint8_t low = 0x80; // the range of the second byte (it excludes overlong forms and surrogates)
    uint8_t high = 0xBF;
    if (b < 0x80) {
      length = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      low = b == 0xE0 ? 0xA0 : 0x80;
      high = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      low = b == 0xF0 ? 0x90 : 0x80;
      high = b == 0xF4 ? 0x8F : 0xBF;
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto c = static_cast<uint8_t>(text[i + k]);
      valid = k == 1 ? (c >= low && c <= high) : (c >= 0x80 && c <= 0xBF);
    }
    if (!valid) {
      return Utf8Problem{i, line, static_cast<int>(i - line_start + 1), b};
    }
    if (b == '\n') {
      ++line;
      line_start = i + 1;
    }
    i += length;
  }
  return std::nullopt;
}

Result<void> check_utf8(std::string_view text, const std::string& name)
{
  if (const auto problem = find_invalid_utf8(text)) {
    return fail(Errc::parse, "{}:{}:{}: {}", name, problem->line, problem->column, problem->message());
  }
  return {};
}

} // namespace complycli::util
