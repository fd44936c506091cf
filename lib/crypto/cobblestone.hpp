#pragma once

// C2SP chunked encryption (c2sp.org/chunked-encryption), Cobblestone-256 instantiation:
// HKDF-Expand with SHA-512 derives a per-message key, base nonce and 32-byte key commitment from an
// input key, a 24-byte salt and an application context; the message is sealed in 16 KiB chunks with
// AES-256-GCM, nonce = base nonce XOR chunk index; the final chunk is always shorter than 16 KiB.
// This file has the building blocks (derive, seal/open one chunk) and whole-message helpers for
// small messages and tests; crypto/matter_file.hpp streams large files with them.

#include "core/error.hpp"
#include "crypto/aead.hpp"
#include "crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace complycli::crypto::cobblestone {

inline constexpr std::size_t chunk_size = 16384;                        // plaintext bytes in a full chunk
inline constexpr std::size_t tag_size = gcm_tag_size;                   // 16
inline constexpr std::size_t sealed_chunk_size = chunk_size + tag_size; // 16400
inline constexpr std::size_t key_size = aes256_key_size;                // 32
inline constexpr std::size_t salt_size = 24;
inline constexpr std::size_t commitment_size = 32;
inline constexpr std::size_t prefix_size = salt_size + commitment_size; // 56: salt ‖ commitment
inline constexpr uint64_t max_chunks = uint64_t{1} << 38;

using Salt = std::array<uint8_t, salt_size>;
using Commitment = std::array<uint8_t, commitment_size>;

// What HKDF-Expand derives for one message.
struct MessageKeys {
  SecretBytes key; // the AES-256-GCM key
  GcmNonce base_nonce{};
  Commitment commitment{};
};

// HKDF-Expand-SHA-512(input key, "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM" ‖ 0 ‖ salt ‖ context).
// Errc::internal if `input_key` is not 32 bytes or OpenSSL fails.
Result<MessageKeys> derive(std::span<const uint8_t> input_key, const Salt& salt, std::span<const uint8_t> context);

// The nonce of chunk `index`: `base` XOR `index` as a 96-bit big-endian integer.
GcmNonce chunk_nonce(const GcmNonce& base, uint64_t index);

// Constant-time comparison of a stored commitment with the derived one.
bool commitment_matches(const Commitment& derived, std::span<const uint8_t, commitment_size> stored);

// Seals chunks of one message. Reuse one per thread: it keys its cipher context once.
class ChunkSealer {
public:
  static Result<ChunkSealer> create(const MessageKeys& keys);
  // Seal chunk `index` (`plaintext` at most chunk_size bytes; shorter only for the final chunk) into
  // `out`, which must hold plaintext.size() + tag_size bytes.
  Result<void> seal(uint64_t index, std::span<const uint8_t> plaintext, std::span<uint8_t> out);

private:
  ChunkSealer(Aes256Gcm gcm, const GcmNonce& base) : m_gcm(std::move(gcm)), m_base(base) {}
  Aes256Gcm m_gcm;
  GcmNonce m_base;
};

// Opens chunks of one message. Reuse one per thread.
class ChunkOpener {
public:
  static Result<ChunkOpener> create(const MessageKeys& keys);
  // Open chunk `index` (`sealed` = ciphertext ‖ tag, 16..16400 bytes) into `out` (sealed.size() - 16
  // bytes). Errc::auth_failed, "chunk N failed authentication", if the tag does not verify.
  Result<void> open(uint64_t index, std::span<const uint8_t> sealed, std::span<uint8_t> out);
  // Whether `sealed` authenticates as chunk `index` (scratch must hold sealed.size() - 16 bytes).
  bool authenticates(uint64_t index, std::span<const uint8_t> sealed, std::span<uint8_t> scratch);

  // Explain why chunk `index` failed: it may be another chunk of this message (chunks swapped,
  // repeated or removed; chunks up to 16 positions away are tried), or, when it is the last chunk in
  // the input (`at_end`), a valid final chunk followed by up to 256 extra bytes. Returns the
  // Errc::auth_failed error to report. `scratch` must hold sealed_chunk_size bytes.
  Error diagnose(uint64_t index, std::span<const uint8_t> sealed, bool at_end, std::span<uint8_t> scratch);

private:
  ChunkOpener(Aes256Gcm gcm, const GcmNonce& base) : m_gcm(std::move(gcm)), m_base(base) {}
  Aes256Gcm m_gcm;
  GcmNonce m_base;
};

// The ciphertext size of a `plaintext_size`-byte message (prefix included).
uint64_t sealed_size(uint64_t plaintext_size);

// The plaintext size of a `sealed`-byte message (prefix included), or nullopt if no valid message has
// that length (shorter than the prefix and an empty chunk, or no final chunk).
std::optional<uint64_t> plaintext_size(uint64_t sealed);

// Encrypt a whole message held in memory: `salt ‖ commitment ‖ chunks`. A random salt unless `salt`
// is given (tests reproduce known ciphertexts with it).
Result<std::vector<uint8_t>> seal_message(std::span<const uint8_t> input_key, std::span<const uint8_t> context,
                                          std::span<const uint8_t> plaintext, const std::optional<Salt>& salt = {});

// Decrypt and authenticate a whole message held in memory. Errc::auth_failed (and no plaintext) on
// any failure, with the same messages as streaming decryption.
Result<std::vector<uint8_t>> open_message(std::span<const uint8_t> input_key, std::span<const uint8_t> context,
                                          std::span<const uint8_t> sealed);

// Messages shared by the in-memory and streaming decryptors.
Error commitment_mismatch();
Error truncated_before_final_chunk(uint64_t chunk_index);

} // namespace complycli::crypto::cobblestone
