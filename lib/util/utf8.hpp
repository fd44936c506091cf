#pragma once

// UTF-8 validation of text read from files (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF). Text that reaches JSON output must be UTF-8: nlohmann_json throws on anything else.

#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace complycli::util {

// Where text stops being UTF-8: the first byte that does not start or continue a valid sequence.
struct Utf8Problem {
  std::size_t offset = 0;
  int line = 1;   // 1-based
  int column = 1; // 1-based, in bytes
  uint8_t byte = 0;
  // "not UTF-8 text (byte 0xF6)"
  std::string message() const;
};

// The first problem in `text`, or nullopt when it is all valid UTF-8.
std::optional<Utf8Problem> find_invalid_utf8(std::string_view text);

// Errc::parse "`name`:LINE:COLUMN: not UTF-8 text (byte 0xNN)" unless `text` is valid UTF-8.
Result<void> check_utf8(std::string_view text, const std::string& name);

} // namespace complycli::util
