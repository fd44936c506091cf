#pragma once

// Bech32 (BIP 173): a human-readable part, the separator "1", then data in a 32-letter alphabet
// followed by a 6-letter BCH checksum that detects any error in up to 4 characters. Used for public
// keys (as age does), so that a mistyped key is refused instead of used.

#include "core/error.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::util {

struct Bech32 {
  std::string hrp;           // lower case
  std::vector<uint8_t> data; // 5-bit values, checksum removed
};

// Encode `hrp` (lower case, 1..83 printable ASCII characters) and 5-bit `data` values, with checksum.
std::string bech32_encode(std::string_view hrp, std::span<const uint8_t> data);

// Decode and verify a Bech32 string as BIP 173 says: at most 90 characters, printable ASCII, not of
// mixed case, a non-empty human-readable part, at least 6 data characters, a valid checksum.
// Errc::parse with the reason otherwise.
Result<Bech32> bech32_decode(std::string_view text);

// Regroup bits (BIP 173's convertbits): 8-bit bytes to 5-bit values with padding, or 5-bit values back
// to bytes without (Errc::parse when the padding is not zero or more than 4 bits).
std::vector<uint8_t> bytes_to_5bit(std::span<const uint8_t> bytes);
Result<std::vector<uint8_t>> bytes_from_5bit(std::span<const uint8_t> values);

} // namespace complycli::util
