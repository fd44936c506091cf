#pragma once

// Key material in libsodium secure memory: guarded pages, locked against swapping, wiped on free.

#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace complycli::crypto {

class SecretBytes {
public:
  // Allocate `size` zeroed bytes with sodium_malloc. Errc::internal if the allocation fails.
  static Result<SecretBytes> allocate(std::size_t size);
  // Allocate and fill with random bytes (randombytes_buf).
  static Result<SecretBytes> random(std::size_t size);
  // Allocate and copy `bytes` in (the caller wipes its own copy).
  static Result<SecretBytes> copy_of(std::span<const uint8_t> bytes);

  SecretBytes() = default;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes(); // sodium_free: wipes, then releases

  uint8_t* data() { return m_data; }
  const uint8_t* data() const { return m_data; }
  std::size_t size() const { return m_size; }
  std::span<const uint8_t> view() const { return {m_data, m_size}; }
  std::span<uint8_t> span() { return {m_data, m_size}; }

private:
  uint8_t* m_data = nullptr;
  std::size_t m_size = 0;
};

} // namespace complycli::crypto
