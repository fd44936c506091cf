#pragma once

// Format version 2 of the matter file: the file's Cobblestone input key comes from an ephemeral X25519
// exchange with the matter key version's public key, so writing a file needs only public data.
// docs/format.md ("Format version 2") specifies every byte; tests/data/format-v2-vectors.json has
// test vectors.
//
//   shared    = X25519(ephemeral secret, matter public)  =  X25519(matter secret, ephemeral public)
//   input key = HKDF-SHA-256(ikm = shared, salt = ephemeral public ‖ matter public,
//                            info = "complycli/matter-file-v2" ‖ 0x00 ‖ the 58 header bytes, L = 32)
//
// An all-zero shared secret (a low-order point on either side) is refused.

#include "core/error.hpp"
#include "crypto/matter_file.hpp"
#include "crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace complycli::crypto {

inline constexpr std::size_t x25519_key_size = 32;
using X25519Public = std::array<uint8_t, x25519_key_size>;

// The X25519 secret key of a matter key version, derived from the version's 32-byte secret (what the
// keystore wraps): crypto_kdf_derive_from_key(32, subkey 2, context "cmplyx25", version secret).
Result<SecretBytes> version_secret_key(const SecretBytes& version_secret);
// The public key of an X25519 secret key (crypto_scalarmult_base). Errc::internal if it fails.
Result<X25519Public> x25519_public_key(const SecretBytes& secret_key);

// The HKDF-SHA-256 step above, from its inputs (exposed for the test vectors).
Result<SecretBytes> v2_input_key(std::span<const uint8_t> shared, const X25519Public& ephemeral_public,
                                 const X25519Public& matter_public, std::span<const uint8_t> header_bytes);

// For a new file: make an ephemeral key pair (or use `ephemeral_secret`, for test vectors), put its
// public key in `header` (which must be format version 2) and return the input key. Errc::usage for a
// matter public key that is a low-order point.
Result<SecretBytes> v2_sender_input_key(MatterFileHeader& header, const X25519Public& matter_public,
                                        const SecretBytes* ephemeral_secret = nullptr);

// For reading a file: the input key from the header's ephemeral public key and the key version's
// X25519 secret key. Errc::auth_failed for a low-order ephemeral key.
Result<SecretBytes> v2_recipient_input_key(const MatterFileHeader& header, const SecretBytes& matter_secret);

} // namespace complycli::crypto
