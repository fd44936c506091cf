#include "crypto/aead.hpp"

#include "crypto/openssl_error.hpp"
#include "crypto/secret.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace complycli::crypto {

namespace {

// The cipher is fetched once per process (an implicit fetch on every init would cost a lookup).
const EVP_CIPHER* aes_256_gcm()
{
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}


bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX); }

} // namespace

void Aes256Gcm::CtxDeleter::operator()(void* ctx) const noexcept
{
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx));
}

Result<Aes256Gcm> Aes256Gcm::create(std::span<const uint8_t> key, Direction direction)
{
  if (key.size() != aes256_key_size) {
    return fail(Errc::internal, "an AES-256 key must be {} bytes, not {}", aes256_key_size, key.size());
  }
  const EVP_CIPHER* cipher = aes_256_gcm();
  if (cipher == nullptr) {
    return fail(Errc::internal, "OpenSSL has no AES-256-GCM: {}", openssl_error());
  }
  std::unique_ptr<void, CtxDeleter> owner(EVP_CIPHER_CTX_new());
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(owner.get());
  if (ctx == nullptr) {
    return fail(Errc::internal, "cannot allocate a cipher context: {}", openssl_error());
  }
  // Key now; the nonce is set per message. 12 bytes is GCM's default nonce length.
  const int ok = direction == Direction::seal ? EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr)
                                              : EVP_DecryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr);
  if (ok != 1) {
    return fail(Errc::internal, "cannot key AES-256-GCM: {}", openssl_error());
  }
  return Aes256Gcm(std::move(owner), direction);
}

Result<void> Aes256Gcm::seal(const GcmNonce& nonce, std::span<const uint8_t> plaintext, std::span<uint8_t> out,
                             std::span<uint8_t, gcm_tag_size> tag, std::span<const uint8_t> aad)
{
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(m_ctx.get());
  if (m_direction != Direction::seal || out.size() != plaintext.size() || !fits_int(plaintext.size()) ||
      !fits_int(aad.size())) {
    return fail(Errc::internal, "AES-256-GCM seal called with invalid arguments");
  }
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      (!plaintext.empty() &&
       EVP_EncryptUpdate(ctx, out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx, out.data() + plaintext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(gcm_tag_size), tag.data()) != 1) {
    return fail(Errc::internal, "AES-256-GCM encryption failed: {}", openssl_error());
  }
  return {};
}

Result<void> Aes256Gcm::open(const GcmNonce& nonce, std::span<const uint8_t> ciphertext, std::span<uint8_t> out,
                             std::span<const uint8_t, gcm_tag_size> tag, std::span<const uint8_t> aad)
{
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(m_ctx.get());
  if (m_direction != Direction::open || out.size() != ciphertext.size() || !fits_int(ciphertext.size()) ||
      !fits_int(aad.size())) {
    return fail(Errc::internal, "AES-256-GCM open called with invalid arguments");
  }
  int len = 0;
  // OpenSSL wants a non-const tag pointer for SET_TAG; it only reads it.
  uint8_t expected[gcm_tag_size];
  std::memcpy(expected, tag.data(), gcm_tag_size);
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      (!ciphertext.empty() &&
       EVP_DecryptUpdate(ctx, out.data(), &len, ciphertext.data(), static_cast<int>(ciphertext.size())) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(gcm_tag_size), expected) != 1) {
    return fail(Errc::internal, "AES-256-GCM decryption failed: {}", openssl_error());
  }
  if (EVP_DecryptFinal_ex(ctx, out.data() + ciphertext.size(), &len) != 1) {
    ERR_clear_error();
    return fail(Errc::auth_failed, "authentication failed");
  }
  return {};
}

std::size_t Aes256Gcm::longest_authentic_prefix(const GcmNonce& nonce, std::span<const uint8_t> sealed,
                                                std::size_t shortest, std::size_t longest)
{
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(m_ctx.get());
  longest = std::min(longest, sealed.size());
  shortest = std::max(shortest, gcm_tag_size);
  if (m_direction != Direction::open || shortest > longest || !fits_int(longest)) {
    return 0;
  }
  std::unique_ptr<void, CtxDeleter> trial_owner(EVP_CIPHER_CTX_new());
  auto* trial = static_cast<EVP_CIPHER_CTX*>(trial_owner.get());
  auto sink_buffer = SecretBytes::allocate(longest); // plaintext of the candidates: secure memory, wiped
  if (!sink_buffer) {
    return 0;
  }
  std::span<uint8_t> sink = sink_buffer->span();
  int len = 0;
  // `ctx` absorbs the ciphertext that every candidate shares, then one more byte per candidate.
  const std::size_t common = shortest - gcm_tag_size;
  if (trial == nullptr || EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      (common > 0 && EVP_DecryptUpdate(ctx, sink.data(), &len, sealed.data(), static_cast<int>(common)) != 1)) {
    ERR_clear_error();
    return 0;
  }
  std::size_t found = 0;
  for (std::size_t n = shortest; n <= longest; ++n) {
    const std::size_t body = n - gcm_tag_size;
    uint8_t tag[gcm_tag_size];
    std::memcpy(tag, sealed.data() + body, gcm_tag_size);
    if (EVP_CIPHER_CTX_copy(trial, ctx) != 1 ||
        EVP_CIPHER_CTX_ctrl(trial, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(gcm_tag_size), tag) != 1) {
      break;
    }
    if (EVP_DecryptFinal_ex(trial, sink.data(), &len) == 1) {
      found = n;
    }
    if (n < longest && EVP_DecryptUpdate(ctx, sink.data() + body, &len, sealed.data() + body, 1) != 1) {
      break;
    }
  }
  ERR_clear_error();
  return found;
}

Result<std::vector<uint8_t>> seal(std::span<const uint8_t> key, std::span<const uint8_t> plaintext,
                                  std::span<const uint8_t> aad)
{
  auto gcm = TRY(Aes256Gcm::create(key, Direction::seal));
  GcmNonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return fail(Errc::internal, "cannot generate a nonce: {}", openssl_error());
  }
  std::vector<uint8_t> sealed(gcm_nonce_size + plaintext.size() + gcm_tag_size);
  std::memcpy(sealed.data(), nonce.data(), nonce.size());
  auto body = std::span(sealed).subspan(gcm_nonce_size, plaintext.size());
  auto tag = std::span(sealed).subspan(gcm_nonce_size + plaintext.size()).first<gcm_tag_size>();
  TRY_VOID(gcm.seal(nonce, plaintext, body, tag, aad));
  return sealed;
}

Result<std::vector<uint8_t>> open(std::span<const uint8_t> key, std::span<const uint8_t> sealed,
                                  std::span<const uint8_t> aad)
{
  if (sealed.size() < gcm_nonce_size + gcm_tag_size) {
    return fail(Errc::auth_failed, "sealed data is too short ({} bytes)", sealed.size());
  }
  auto gcm = TRY(Aes256Gcm::create(key, Direction::open));
  GcmNonce nonce{};
  std::memcpy(nonce.data(), sealed.data(), nonce.size());
  const std::size_t body_size = sealed.size() - gcm_nonce_size - gcm_tag_size;
  std::vector<uint8_t> plaintext(body_size);
  auto tag = sealed.subspan(gcm_nonce_size + body_size).first<gcm_tag_size>();
  auto opened = gcm.open(nonce, sealed.subspan(gcm_nonce_size, body_size), plaintext, tag, aad);
  if (!opened) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::unexpected(opened.error());
  }
  return plaintext;
}

} // namespace complycli::crypto
