#pragma once

// X25519 identities for customer-managed keys. An identity file holds one secret key line
// ("COMPLYCLI-SECRET-KEY-1" + base64url); its public key is the 32-byte X25519 public key in Bech32
// (BIP 173) with the human-readable part "complycli", as age does: "complycli1" + 58 characters, the
// last six a checksum, so that a mistyped key is refused. The older form, "complycli1" + 43 characters
// of base64url with no checksum, is still read (is_legacy_public_key says so, for a warning) and is
// what the keystore's `recipient` column stores, so existing keystores keep working.
// Data keys are wrapped to a public key with libsodium sealed boxes.

#include "core/error.hpp"
#include "crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace complycli::keystore {

inline constexpr std::string_view public_key_hrp = "complycli";
inline constexpr std::string_view public_key_prefix = "complycli1";
inline constexpr std::string_view secret_key_prefix = "COMPLYCLI-SECRET-KEY-1";

using PublicKey = std::array<uint8_t, 32>;

struct Identity {
  PublicKey public_key{};
  crypto::SecretBytes secret_key; // 32 bytes
};

// A fresh X25519 key pair.
Result<Identity> generate_identity();

// Encode and parse the public key text form (Bech32). Errc::usage for anything that is not a public
// key, including a Bech32 key with a wrong checksum. The legacy base64url form is accepted too.
std::string encode_public_key(const PublicKey& key);
Result<PublicKey> parse_public_key(std::string_view text);
// True for a key in the legacy form without a checksum (accepted for one release, with a warning).
bool is_legacy_public_key(std::string_view text);
// The legacy form: how the keystore's `recipient` column names a recipient (never shown to users).
std::string stored_public_key(const PublicKey& key);

// The identity file's text: comment lines (created, public key) and the secret key line.
// The returned string holds the secret: the caller writes it (mode 0600) and wipes it.
std::string identity_file_text(const Identity& identity, std::string_view created);

// Read an identity file (comments and blank lines are skipped). Errc::parse names file:line.
Result<Identity> load_identity(const std::filesystem::path& path);

// Seal `plaintext` to `recipient` (crypto_box_seal), and open a sealed box with `identity`
// (Errc::auth_failed when it was not sealed to this identity or was altered).
std::string seal_to(const PublicKey& recipient, std::span<const uint8_t> plaintext);
Result<crypto::SecretBytes> open_sealed(const Identity& identity, std::span<const uint8_t> sealed);

} // namespace complycli::keystore
