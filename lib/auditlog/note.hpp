#pragma once

// The log key (Ed25519, libsodium) and checkpoints in the C2SP signed-note / tlog-checkpoint text
// format (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint). Our "root hash" is the
// hash chain's head: the hash of the last entry (32 zero bytes for an empty log).

#include "auditlog/entry.hpp"
#include "core/error.hpp"
#include "crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace complycli::auditlog {

// A verifier key: key name, 4-byte key ID, Ed25519 public key.
struct PublicKey {
  std::string name;
  std::array<uint8_t, 4> id{};
  std::array<uint8_t, 32> key{};

  // The C2SP vkey text: <name>+<hex key ID>+<base64(0x01 || public key)>.
  std::string vkey() const;
  bool operator==(const PublicKey &) const = default;
};

// Parse a vkey (Errc::usage when malformed or when the key ID does not match name and key).
Result<PublicKey> parse_vkey(std::string_view text);

// key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]
std::array<uint8_t, 4> key_id(std::string_view name, std::span<const uint8_t, 32> public_key);

// Standard base64 (RFC 4648 section 4, padded) through libsodium.
std::string base64_encode(std::span<const uint8_t> bytes);
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

// The log's signing key. Its file holds one line:
// PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte Ed25519 seed)>
class LogKey {
public:
  // A new key named complycli.audit/<first 8 bytes of SHA-256(public key), hex>.
  static Result<LogKey> generate();
  // Parse a key file's text.
  static Result<LogKey> parse(std::string_view text);

  // The key file's text (contains the secret seed: the caller wipes it).
  std::string serialize() const;
  const PublicKey &public_key() const { return m_public; }
  // An Ed25519 signature over `message`.
  std::array<uint8_t, 64> sign(std::string_view message) const;

private:
  PublicKey m_public;
  crypto::SecretBytes m_secret; // libsodium's 64-byte secret key (seed || public key)
};

// A checkpoint's note text, parsed. Two forms (docs/audit-log.md, "Checkpoints"):
// - version 2 (with `root`): origin, size, base64 RFC 6962 Merkle root, "head <base64 chain head>",
//   "time <time>";
// - version 1 (legacy, no `root`): origin, size, base64 chain head, "time <time>".
struct CheckpointBody {
  std::string origin;
  int64_t size = 0;
  Hash head{};      // the hash chain's head: the hash of entry `size` (zeros for 0)
  std::string time; // from the extension line "time <RFC 3339>", empty if absent
  std::optional<Hash> root; // the Merkle tree head; empty for a version 1 checkpoint
};

// The note text, each line ending in a newline (the form depends on whether `root` is set).
std::string checkpoint_text(const CheckpointBody &body);

// The full signed note: text, blank line, "— <name> <base64(key ID || signature)>".
std::string sign_checkpoint(const LogKey &key, const CheckpointBody &body);

// Verify a signed note with `key` and return its text (up to and including the newline before the
// blank line). Signatures by other keys are ignored; at least one by `key` must verify.
// Errc::chain_broken for a bad or missing signature, Errc::parse for a note that does not parse.
Result<std::string_view> verify_note(std::string_view note, const PublicKey &key);

// Parse a checkpoint's note text (without signatures), either form. Errc::parse when malformed.
Result<CheckpointBody> parse_checkpoint_text(std::string_view text);

// Parse a signed checkpoint and verify it with `key`: the note's text must parse, a signature line
// must carry `key`'s name and ID, and that signature must verify; signatures by other keys are
// ignored (as the signed-note spec requires). The origin must equal the key name.
// Errc::chain_broken for a bad or missing signature, Errc::parse for a note that does not parse.
Result<CheckpointBody> open_checkpoint(std::string_view note, const PublicKey &key);

} // namespace complycli::auditlog
