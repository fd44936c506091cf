#pragma once

// The complycli matter file: a short header, then a C2SP chunked-encryption payload
// (Cobblestone-256: HKDF-SHA-512 + AES-256-GCM, 16 KiB chunks). docs/format.md specifies every byte.
// Streams work on file descriptors so that pipes (stdin/stdout) and files are handled alike.

#include "core/error.hpp"
#include "crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <functional>

namespace complycli::crypto {

inline constexpr std::size_t data_key_size = 32;
inline constexpr std::size_t matter_id_size = 16;

struct MatterFileHeader {
  uint8_t format_version = 1;
  std::array<uint8_t, matter_id_size> matter_id{}; // random, assigned when the matter is created
  uint32_t key_version = 1;
};

struct StreamStats {
  uint64_t plaintext_bytes = 0;
  uint64_t ciphertext_bytes = 0;                  // header included
  std::array<uint8_t, 32> ciphertext_sha256{};    // of the whole file, header included
};

// Called with the number of plaintext bytes processed so far.
using ProgressFn = std::function<void(uint64_t)>;

// Read exactly the header from the start of `in_fd`. Errc::parse for "not a complycli matter file"
// (wrong magic), an unknown format version, or a truncated header.
Result<MatterFileHeader> read_header(int in_fd);

// Write `header` and the encrypted contents of `in_fd` to `out_fd` under the 32-byte `key`.
Result<StreamStats> encrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const ProgressFn& progress = {});

// Decrypt the payload that follows a header already consumed by `read_header`. Every chunk is
// written to `out_fd` only after it authenticates; any failure (wrong key, tampering, truncation,
// trailing bytes) is Errc::auth_failed and names what went wrong.
Result<StreamStats> decrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const ProgressFn& progress = {});

} // namespace complycli::crypto
