#pragma once

// HKDF (RFC 5869) through OpenSSL's EVP_KDF: the one place that calls it.

#include "core/error.hpp"

#include <cstdint>
#include <span>

namespace complycli::crypto {

enum class HkdfMode {
  extract_and_expand, // `key` is input keying material, `salt` is used
  expand_only,        // `key` is already a pseudorandom key; no salt
};

// Fill `out` with HKDF over `digest` ("SHA256", "SHA512"). Errc::internal with OpenSSL's reason if
// OpenSSL cannot.
Result<void> hkdf(const char* digest, HkdfMode mode, std::span<const uint8_t> key, std::span<const uint8_t> salt,
                  std::span<const uint8_t> info, std::span<uint8_t> out);

} // namespace complycli::crypto
