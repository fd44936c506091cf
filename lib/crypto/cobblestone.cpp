#include "crypto/cobblestone.hpp"

#include "crypto/hkdf.hpp"

#include "crypto/openssl_error.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

namespace complycli::crypto::cobblestone {

namespace {

constexpr std::string_view info_prefix = "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM";
constexpr std::size_t derived_size = key_size + gcm_nonce_size + commitment_size;
constexpr std::size_t neighbour_window = 16; // how far `diagnose` looks for a misplaced chunk
constexpr std::size_t trailing_window = 256; // how many extra bytes `diagnose` looks past a final chunk

Error chunk_failed(uint64_t index)
{
  return Error{Errc::auth_failed, fmt::format("chunk {} failed authentication", index), {}};
}

} // namespace

Error commitment_mismatch()
{
  return Error{Errc::auth_failed,
               "the key commitment does not match: wrong key, or the header was changed or comes from another file",
               {}};
}

Error truncated_before_final_chunk(uint64_t chunk_index)
{
  return Error{Errc::auth_failed,
               fmt::format("file ends before its final chunk (truncated at chunk {})", chunk_index), {}};
}

Result<MessageKeys> derive(std::span<const uint8_t> input_key, const Salt& salt, std::span<const uint8_t> context)
{
  if (input_key.size() != key_size) {
    return fail(Errc::internal, "the input key must be {} bytes, not {}", key_size, input_key.size());
  }
  std::vector<uint8_t> info;
  info.reserve(info_prefix.size() + 1 + salt.size() + context.size());
  info.insert(info.end(), info_prefix.begin(), info_prefix.end());
  info.push_back(0);
  info.insert(info.end(), salt.begin(), salt.end());
  info.insert(info.end(), context.begin(), context.end());

  auto okm = TRY(SecretBytes::allocate(derived_size));
  TRY_VOID(hkdf("SHA512", HkdfMode::expand_only, input_key, {}, info, {okm.data(), okm.size()}));
  MessageKeys keys{TRY(SecretBytes::copy_of(okm.view().first(key_size))), {}, {}};
  std::memcpy(keys.base_nonce.data(), okm.data() + key_size, gcm_nonce_size);
  std::memcpy(keys.commitment.data(), okm.data() + key_size + gcm_nonce_size, commitment_size);
  return keys;
}

GcmNonce chunk_nonce(const GcmNonce& base, uint64_t index)
{
  GcmNonce nonce = base;
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[gcm_nonce_size - 1 - i] ^= static_cast<uint8_t>(index >> (8 * i));
  }
  return nonce;
}

bool commitment_matches(const Commitment& derived, std::span<const uint8_t, commitment_size> stored)
{
  return CRYPTO_memcmp(derived.data(), stored.data(), commitment_size) == 0;
}

Result<ChunkSealer> ChunkSealer::create(const MessageKeys& keys)
{
  return ChunkSealer(TRY(Aes256Gcm::create(keys.key.view(), Direction::seal)), keys.base_nonce);
}

Result<void> ChunkSealer::seal(uint64_t index, std::span<const uint8_t> plaintext, std::span<uint8_t> out)
{
  if (index >= max_chunks) {
    return fail(Errc::io, "the message is too long: more than 2^38 chunks");
  }
  if (plaintext.size() > chunk_size || out.size() != plaintext.size() + tag_size) {
    return fail(Errc::internal, "chunk {} has an invalid size", index);
  }
  return m_gcm.seal(chunk_nonce(m_base, index), plaintext, out.first(plaintext.size()),
                    out.subspan(plaintext.size()).first<tag_size>());
}

Result<ChunkOpener> ChunkOpener::create(const MessageKeys& keys)
{
  return ChunkOpener(TRY(Aes256Gcm::create(keys.key.view(), Direction::open)), keys.base_nonce);
}

Result<void> ChunkOpener::open(uint64_t index, std::span<const uint8_t> sealed, std::span<uint8_t> out)
{
  if (index >= max_chunks) {
    return fail(Errc::auth_failed, "the message is too long: more than 2^38 chunks");
  }
  if (sealed.size() < tag_size || sealed.size() > sealed_chunk_size || out.size() != sealed.size() - tag_size) {
    return fail(Errc::internal, "chunk {} has an invalid size", index);
  }
  const std::size_t body = sealed.size() - tag_size;
  auto opened = m_gcm.open(chunk_nonce(m_base, index), sealed.first(body), out, sealed.subspan(body).first<tag_size>());
  if (!opened) {
    // GCM decrypts before it checks the tag: what the failed chunk decrypted to is wiped here.
    OPENSSL_cleanse(out.data(), out.size());
    if (opened.error().code == Errc::auth_failed) {
      return std::unexpected(chunk_failed(index));
    }
    return opened;
  }
  return {};
}

bool ChunkOpener::authenticates(uint64_t index, std::span<const uint8_t> sealed, std::span<uint8_t> scratch)
{
  if (sealed.size() < tag_size || scratch.size() < sealed.size() - tag_size) {
    return false;
  }
  const auto target = scratch.first(sealed.size() - tag_size);
  const bool opened = open(index, sealed, target).has_value();
  OPENSSL_cleanse(target.data(), target.size()); // a chunk that opens elsewhere is plaintext too
  return opened;
}

Error ChunkOpener::diagnose(uint64_t index, std::span<const uint8_t> sealed, bool at_end, std::span<uint8_t> scratch)
{
  // A full chunk that belongs elsewhere in this message.
  if (sealed.size() == sealed_chunk_size) {
    const uint64_t first = index > neighbour_window ? index - neighbour_window : 0;
    const uint64_t last = std::min<uint64_t>(index + neighbour_window, max_chunks - 1);
    for (uint64_t other = first; other <= last; ++other) {
      if (other != index && authenticates(other, sealed, scratch)) {
        return Error{Errc::auth_failed,
                     fmt::format("chunk {} is out of place: it is chunk {} of this file (chunks were swapped, "
                                 "repeated or removed)",
                                 index, other),
                     {}};
      }
    }
  }
  // A valid final chunk followed by extra bytes.
  if (at_end) {
    const std::size_t longest = std::min(sealed.size() - 1, sealed_chunk_size - 1);
    const std::size_t shortest = sealed.size() > trailing_window + tag_size ? sealed.size() - trailing_window : tag_size;
    if (sealed.size() > tag_size) {
      const std::size_t length =
          m_gcm.longest_authentic_prefix(chunk_nonce(m_base, index), sealed, shortest, longest);
      if (length != 0) {
        return Error{Errc::auth_failed,
                     fmt::format("unexpected {} byte{} after the final chunk (chunk {})", sealed.size() - length,
                                 sealed.size() - length == 1 ? "" : "s", index),
                     {}};
      }
    }
    return Error{Errc::auth_failed,
                 fmt::format("chunk {}, the last in the file, failed authentication: the file was truncated or modified",
                             index),
                 {}};
  }
  return chunk_failed(index);
}

uint64_t sealed_size(uint64_t plaintext)
{
  return prefix_size + (plaintext / chunk_size + 1) * tag_size + plaintext;
}

std::optional<uint64_t> plaintext_size(uint64_t sealed)
{
  if (sealed < prefix_size + tag_size) {
    return std::nullopt;
  }
  const uint64_t body = sealed - prefix_size;
  const uint64_t full = body / sealed_chunk_size;
  const uint64_t rest = body % sealed_chunk_size;
  if (rest < tag_size) {
    return std::nullopt;
  }
  return full * chunk_size + (rest - tag_size);
}

Result<std::vector<uint8_t>> seal_message(std::span<const uint8_t> input_key, std::span<const uint8_t> context,
                                          std::span<const uint8_t> plaintext, const std::optional<Salt>& salt)
{
  Salt actual{};
  if (salt) {
    actual = *salt;
  } else if (RAND_bytes(actual.data(), static_cast<int>(actual.size())) != 1) {
    return fail(Errc::internal, "cannot generate a salt: {}", openssl_error());
  }
  const auto keys = TRY(derive(input_key, actual, context));
  auto sealer = TRY(ChunkSealer::create(keys));
  std::vector<uint8_t> out(sealed_size(plaintext.size()));
  std::memcpy(out.data(), actual.data(), salt_size);
  std::memcpy(out.data() + salt_size, keys.commitment.data(), commitment_size);
  std::size_t in_pos = 0;
  std::size_t out_pos = prefix_size;
  for (uint64_t index = 0;; ++index) {
    const std::size_t n = std::min(chunk_size, plaintext.size() - in_pos);
    TRY_VOID(sealer.seal(index, plaintext.subspan(in_pos, n), std::span(out).subspan(out_pos, n + tag_size)));
    in_pos += n;
    out_pos += n + tag_size;
    if (n < chunk_size) {
      break;
    }
  }
  return out;
}

Result<std::vector<uint8_t>> open_message(std::span<const uint8_t> input_key, std::span<const uint8_t> context,
                                          std::span<const uint8_t> sealed)
{
  if (input_key.size() != key_size) {
    return fail(Errc::internal, "the input key must be {} bytes, not {}", key_size, input_key.size());
  }
  if (sealed.size() < prefix_size) {
    return std::unexpected(truncated_before_final_chunk(0));
  }
  Salt salt{};
  std::memcpy(salt.data(), sealed.data(), salt_size);
  const auto keys = TRY(derive(input_key, salt, context));
  if (!commitment_matches(keys.commitment, sealed.subspan(salt_size).first<commitment_size>())) {
    return std::unexpected(commitment_mismatch());
  }
  auto opener = TRY(ChunkOpener::create(keys));
  std::vector<uint8_t> out;
  std::vector<uint8_t> scratch(sealed_chunk_size);
  std::size_t pos = prefix_size;
  for (uint64_t index = 0;; ++index) {
    const std::size_t left = sealed.size() - pos;
    if (left < tag_size) {
      OPENSSL_cleanse(out.data(), out.size());
      return std::unexpected(truncated_before_final_chunk(index));
    }
    const std::size_t n = std::min(left, sealed_chunk_size);
    const auto chunk = sealed.subspan(pos, n);
    const std::size_t old = out.size();
    out.resize(old + n - tag_size);
    auto opened = opener.open(index, chunk, std::span(out).subspan(old));
    if (!opened) {
      OPENSSL_cleanse(out.data(), out.size());
      if (opened.error().code != Errc::auth_failed) {
        return std::unexpected(opened.error());
      }
      return std::unexpected(opener.diagnose(index, chunk, pos + n == sealed.size(), scratch));
    }
    pos += n;
    if (n < sealed_chunk_size) {
      return out; // the short chunk is the final one, and it ends the input
    }
  }
}

} // namespace complycli::crypto::cobblestone
