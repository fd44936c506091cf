#pragma once

// The complycli matter file: a short header, then a C2SP chunked-encryption payload
// (Cobblestone-256: HKDF-SHA-512 + AES-256-GCM, 16 KiB chunks). docs/format.md specifies every byte.
// Streams work on file descriptors so that pipes (stdin/stdout) and files are handled alike.

#include "core/error.hpp"
#include "crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace complycli::crypto {

inline constexpr std::size_t data_key_size = 32;
inline constexpr std::size_t matter_id_size = 16;

struct MatterFileHeader {
  uint8_t format_version = 1;
  std::array<uint8_t, matter_id_size> matter_id{}; // random, assigned when the matter is created
  uint32_t key_version = 1;
  std::array<uint8_t, 32> ephemeral_public{};      // format 2 only: the file's ephemeral X25519 public key
};

struct StreamStats {
  uint64_t plaintext_bytes = 0;
  uint64_t ciphertext_bytes = 0;                  // header included
  std::array<uint8_t, 32> ciphertext_sha256{};    // of the whole file, header included
  // Added: the file's Cobblestone salt and key commitment. Together with the header they identify this
  // encryption (the commitment binds the key, the salt and the header) at no cost, for audit events
  // that cannot afford the SHA-256 (see Digest below).
  std::array<uint8_t, 24> salt{};
  std::array<uint8_t, 32> commitment{};
};

// Called with the number of plaintext bytes processed so far.
using ProgressFn = std::function<void(uint64_t)>;

// Read exactly the header (26 bytes for format 1, 58 for format 2) from the start of `in_fd`. Errc::parse for "not a complycli matter file"
// (wrong magic), an unknown format version, or a truncated header.
Result<MatterFileHeader> read_header(int in_fd);

// Write `header` and the encrypted contents of `in_fd` to `out_fd` under the 32-byte Cobblestone input
// `key`: for format 1 the key version's data key, for format 2 the key crypto/matter_v2.hpp derives
// (v2_sender_input_key fills in the header's ephemeral key).
Result<StreamStats> encrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const ProgressFn& progress = {});

// Decrypt the payload that follows a header already consumed by `read_header`, under the Cobblestone
// input `key` (as for encrypt_stream; v2_recipient_input_key for format 2). Every chunk is
// written to `out_fd` only after it authenticates; any failure (wrong key, tampering, truncation,
// trailing bytes) is Errc::auth_failed and names what went wrong. The final chunk is the short one, so
// a chunk is held back until 16400 bytes of it or the end of the input have been read; the chunks
// before a damaged one may already have been written when the error is returned (callers writing to a
// file discard it; to stdout, consumers must check the exit status).
Result<StreamStats> decrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const ProgressFn& progress = {});

// ---- Additions to the contract above (the signatures above are unchanged) ----

inline constexpr std::size_t header_size = 26; // format 1: magic(5) version(1) matter id(16) key version(4)
inline constexpr std::size_t header_v2_size = 58; // format 2: the same, then the ephemeral public key (32)
inline constexpr std::size_t max_header_size = header_v2_size;
inline constexpr std::array<uint8_t, 5> header_magic = {'C', 'M', 'P', 'L', 'Y'};
inline constexpr uint8_t legacy_format_version = 1; // still read and written for key versions without a key pair
inline constexpr uint8_t current_format_version = 2;

// The header's size for its format version (26 or 58).
std::size_t encoded_header_size(uint8_t format_version);
inline constexpr std::size_t payload_prefix_size = 56; // Cobblestone salt(24) + commitment(32)

// The header's bytes (26 or 58) as they are written to a file.
std::vector<uint8_t> encode_header(const MatterFileHeader& header);

// Parse a header from the first bytes of a file (`bytes` may be shorter or longer than a header).
// Errc::parse, with the same messages as `read_header`.
Result<MatterFileHeader> parse_header(std::span<const uint8_t> bytes);

// The Cobblestone context of a matter file: "complycli/matter-file" ‖ 0x00 ‖ the header bytes.
std::vector<uint8_t> header_context(const MatterFileHeader& header);

// The plaintext size of a matter file of `file_size` bytes (header included), computed from its
// length alone (no key: the length is authenticated only by decrypting). nullopt if no well-formed
// matter file has that length. `format_version` is the header's (1 or 2).
std::optional<uint64_t> plaintext_size_for(uint64_t file_size, uint8_t format_version = legacy_format_version);

// Whether a stream computes StreamStats::ciphertext_sha256. Hashing runs on its own thread but costs
// about as much CPU as the encryption (SHA-256 ~1.7 GB/s against AES-GCM ~5 GB/s here): turn it off
// when nobody needs the digest (e.g. decrypting to stdout) to go at full speed.
enum class Digest { sha256, none };

struct StreamOptions {
  ProgressFn progress;            // called on the calling thread, about once per MiB
  Digest digest = Digest::sha256; // with Digest::none, ciphertext_sha256 stays all zero
  unsigned threads = 0;           // encryption threads; 0: one per core (at most 4)
};

// The same as above, with options.
Result<StreamStats> encrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const StreamOptions& options);
Result<StreamStats> decrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const StreamOptions& options);

// The streaming engine on a bare Cobblestone-256 payload (salt ‖ commitment ‖ chunks) with an explicit
// `context`; `prefix` is written before the payload (encrypt) or was already read from `in_fd`
// (decrypt), and counts in the stats and the digest. The matter-file functions above call these with
// the header as prefix and `header_context` as context; tests apply the Cobblestone vectors with them.
Result<StreamStats> encrypt_payload(int in_fd, int out_fd, std::span<const uint8_t> input_key,
                                    std::span<const uint8_t> context, std::span<const uint8_t> prefix,
                                    const StreamOptions& options);
Result<StreamStats> decrypt_payload(int in_fd, int out_fd, std::span<const uint8_t> input_key,
                                    std::span<const uint8_t> context, std::span<const uint8_t> prefix,
                                    const StreamOptions& options);

} // namespace complycli::crypto
