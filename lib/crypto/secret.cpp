#include "crypto/secret.hpp"

#include <sodium.h>

#include <cstring>
#include <utility>

namespace complycli::crypto {

Result<SecretBytes> SecretBytes::allocate(std::size_t size)
{
  SecretBytes secret;
  secret.m_data = static_cast<uint8_t*>(sodium_malloc(size == 0 ? 1 : size));
  if (secret.m_data == nullptr) {
    return fail(Errc::internal, "cannot allocate {} bytes of secure memory", size);
  }
  secret.m_size = size;
  sodium_memzero(secret.m_data, size == 0 ? 1 : size);
  return secret;
}

Result<SecretBytes> SecretBytes::random(std::size_t size)
{
  auto secret = TRY(allocate(size));
  randombytes_buf(secret.data(), size);
  return secret;
}

Result<SecretBytes> SecretBytes::copy_of(std::span<const uint8_t> bytes)
{
  auto secret = TRY(allocate(bytes.size()));
  if (!bytes.empty()) {
    std::memcpy(secret.data(), bytes.data(), bytes.size());
  }
  return secret;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0))
{
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept
{
  if (this != &other) {
    if (m_data != nullptr) {
      sodium_free(m_data);
    }
    m_data = std::exchange(other.m_data, nullptr);
    m_size = std::exchange(other.m_size, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes()
{
  if (m_data != nullptr) {
    sodium_free(m_data);
  }
}

} // namespace complycli::crypto
