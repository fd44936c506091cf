#pragma once

// Helpers for keystore tests: secrets from text, and unlocks by passphrase or by identity.

#include "crypto/secret.hpp"
#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"

#include <string_view>

namespace complycli::test {

inline crypto::SecretBytes secret(std::string_view text)
{
  return crypto::SecretBytes::copy_of({reinterpret_cast<const uint8_t*>(text.data()), text.size()}).value();
}

inline keystore::Unlock with_passphrase(std::string_view text)
{
  keystore::Unlock unlock;
  unlock.passphrase = [text]() -> Result<crypto::SecretBytes> { return secret(text); };
  return unlock;
}

inline keystore::Unlock with_identity(const keystore::Identity& identity)
{
  keystore::Unlock unlock;
  unlock.identities.push_back(&identity);
  return unlock;
}

} // namespace complycli::test
