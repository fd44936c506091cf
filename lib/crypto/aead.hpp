#pragma once

// AES-256-GCM over OpenSSL EVP, with a 96-bit nonce and a 16-byte tag. `Aes256Gcm` owns one
// EVP_CIPHER_CTX keyed once; each message then only sets its nonce, which is what a chunked stream
// needs. No cipher code of our own: this is a thin RAII layer over EVP_CIPHER_CTX.

#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace complycli::crypto {

inline constexpr std::size_t aes256_key_size = 32;
inline constexpr std::size_t gcm_nonce_size = 12;
inline constexpr std::size_t gcm_tag_size = 16;

using GcmNonce = std::array<uint8_t, gcm_nonce_size>;

enum class Direction { seal, open };

class Aes256Gcm {
public:
  // A context keyed with the 32-byte `key`, for sealing or for opening. Errc::internal for a key of
  // another size or an OpenSSL failure.
  static Result<Aes256Gcm> create(std::span<const uint8_t> key, Direction direction);

  Aes256Gcm(Aes256Gcm&&) noexcept = default;
  Aes256Gcm& operator=(Aes256Gcm&&) noexcept = default;
  Aes256Gcm(const Aes256Gcm&) = delete;
  Aes256Gcm& operator=(const Aes256Gcm&) = delete;
  ~Aes256Gcm() = default;

  // Encrypt `plaintext` into `out` (the same size; may be the same memory) and write the tag into `tag`.
  Result<void> seal(const GcmNonce& nonce, std::span<const uint8_t> plaintext, std::span<uint8_t> out,
                    std::span<uint8_t, gcm_tag_size> tag, std::span<const uint8_t> aad = {});

  // Decrypt `ciphertext` into `out` (the same size; may be the same memory) and check `tag`.
  // Errc::auth_failed if the tag does not verify; `out` then holds no meaningful data (callers must
  // not release it).
  Result<void> open(const GcmNonce& nonce, std::span<const uint8_t> ciphertext, std::span<uint8_t> out,
                    std::span<const uint8_t, gcm_tag_size> tag, std::span<const uint8_t> aad = {});

  // Of the prefixes `sealed.first(n)` (each read as ciphertext ‖ 16-byte tag) with `shortest <= n <=
  // longest`, the longest one that authenticates under `nonce`, or 0 if none does. One pass over the
  // ciphertext (cipher-context copies per candidate), for diagnosing trailing bytes. Opening only.
  std::size_t longest_authentic_prefix(const GcmNonce& nonce, std::span<const uint8_t> sealed, std::size_t shortest,
                                       std::size_t longest);

  Direction direction() const { return m_direction; }

private:
  struct CtxDeleter {
    void operator()(void* ctx) const noexcept;
  };
  Aes256Gcm(std::unique_ptr<void, CtxDeleter> ctx, Direction direction)
      : m_ctx(std::move(ctx)), m_direction(direction)
  {
  }

  std::unique_ptr<void, CtxDeleter> m_ctx; // EVP_CIPHER_CTX
  Direction m_direction;
};

// One-shot sealing for small messages (e.g. wrapping keys): a fresh random nonce;
// returns `nonce ‖ ciphertext ‖ tag`.
Result<std::vector<uint8_t>> seal(std::span<const uint8_t> key, std::span<const uint8_t> plaintext,
                                  std::span<const uint8_t> aad = {});

// Open what `seal` produced. Errc::auth_failed (and no plaintext) on a wrong key, tampering or a
// truncated input.
Result<std::vector<uint8_t>> open(std::span<const uint8_t> key, std::span<const uint8_t> sealed,
                                  std::span<const uint8_t> aad = {});

} // namespace complycli::crypto
