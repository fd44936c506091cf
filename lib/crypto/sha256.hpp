#pragma once

// SHA-256 for the audit log's many short hashes (entries, Merkle leaves and nodes).

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace complycli::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of the concatenation of `parts`.
Sha256Digest sha256(std::initializer_list<std::span<const uint8_t>> parts);

} // namespace complycli::crypto
