#pragma once

// Lower-case hexadecimal encoding.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::util {

// Encode bytes as lower-case hex.
std::string to_hex(std::span<const uint8_t> bytes);

// Decode hex (either case); nullopt if the length is odd or a character is not a hex digit.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);

} // namespace complycli::util
