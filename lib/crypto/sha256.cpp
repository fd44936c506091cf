// OpenSSL's low-level SHA256_Init/Update/Final, deprecated since OpenSSL 3.0 in favour of EVP_Digest*
// and still shipped by it. This file is the one place that calls them, because hashing millions of
// 150-byte audit entries is what they do best:
// - no provider is fetched and no openssl.cnf read before the first digest (about 1 ms with EVP,
//   as long as the rest of an `audit append`);
// - SHA-NI where the CPU has it, chosen when libcrypto is loaded;
// - none of EVP's work per digest (context re-initialisation, engine lookup, locks): a 150-byte
//   digest takes about 130 ns here and 200 ns through EVP on the CI machine.
// The hashes are SHA-256's; the unit tests compare them with libsodium's and with FIPS 180-2's examples.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/sha256.hpp"

#include <openssl/sha.h>

namespace complycli::crypto {

Sha256Digest sha256(std::initializer_list<std::span<const uint8_t>> parts)
{
  SHA256_CTX context;
  SHA256_Init(&context);
  for (const auto part : parts) {
    SHA256_Update(&context, part.data(), part.size());
  }
  Sha256Digest out{};
  SHA256_Final(out.data(), &context);
  return out;
}

} // namespace complycli::crypto
