#include "crypto/matter_v2.hpp"

#include "crypto/hkdf.hpp"

#include <sodium.h>

#include <memory>
#include <string_view>
#include <vector>

namespace complycli::crypto {

namespace {

constexpr std::string_view hkdf_label = "complycli/matter-file-v2";
constexpr char secret_kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "cmplyx25";
constexpr uint64_t secret_kdf_subkey = 2; // subkey 1 ("cmplyrec") is the keystore's record key

// X25519(secret, public) into `shared`; false for an all-zero result (a low-order point).
bool x25519(SecretBytes& shared, const SecretBytes& secret, const X25519Public& public_key)
{
  return crypto_scalarmult(shared.data(), secret.data(), public_key.data()) == 0;
}

} // namespace

Result<SecretBytes> version_secret_key(const SecretBytes& version_secret)
{
  if (version_secret.size() != crypto_kdf_KEYBYTES) {
    return fail(Errc::internal, "a key version secret must be {} bytes, not {}", crypto_kdf_KEYBYTES,
                version_secret.size());
  }
  auto key = TRY(SecretBytes::allocate(x25519_key_size));
  if (crypto_kdf_derive_from_key(key.data(), key.size(), secret_kdf_subkey, secret_kdf_context,
                                 version_secret.data()) != 0) {
    return fail(Errc::internal, "cannot derive the X25519 key of a key version");
  }
  return key;
}

Result<X25519Public> x25519_public_key(const SecretBytes& secret_key)
{
  if (secret_key.size() != x25519_key_size) {
    return fail(Errc::internal, "an X25519 secret key must be {} bytes, not {}", x25519_key_size, secret_key.size());
  }
  X25519Public pk{};
  if (crypto_scalarmult_base(pk.data(), secret_key.data()) != 0) {
    return fail(Errc::internal, "cannot compute an X25519 public key");
  }
  return pk;
}

Result<SecretBytes> v2_input_key(std::span<const uint8_t> shared, const X25519Public& ephemeral_public,
                                 const X25519Public& matter_public, std::span<const uint8_t> header_bytes)
{
  std::vector<uint8_t> salt(ephemeral_public.begin(), ephemeral_public.end());
  salt.insert(salt.end(), matter_public.begin(), matter_public.end());
  std::vector<uint8_t> info(hkdf_label.begin(), hkdf_label.end());
  info.push_back(0);
  info.insert(info.end(), header_bytes.begin(), header_bytes.end());

  auto key = TRY(SecretBytes::allocate(data_key_size));
  TRY_VOID(hkdf("SHA256", HkdfMode::extract_and_expand, shared, salt, info, {key.data(), key.size()}));
  return key;
}

Result<SecretBytes> v2_sender_input_key(MatterFileHeader& header, const X25519Public& matter_public,
                                        const SecretBytes* ephemeral_secret)
{
  if (header.format_version != 2) {
    return fail(Errc::internal, "an ephemeral key belongs in a format 2 header, not format {}",
                header.format_version);
  }
  SecretBytes generated;
  if (ephemeral_secret == nullptr) {
    generated = TRY(SecretBytes::random(x25519_key_size));
    ephemeral_secret = &generated;
  }
  if (ephemeral_secret->size() != x25519_key_size) {
    return fail(Errc::internal, "an X25519 secret key must be {} bytes", x25519_key_size);
  }
  header.ephemeral_public = TRY(x25519_public_key(*ephemeral_secret));
  auto shared = TRY(SecretBytes::allocate(x25519_key_size));
  if (!x25519(shared, *ephemeral_secret, matter_public)) {
    return fail(Errc::usage, "the matter's public key is not usable (a low-order X25519 point)");
  }
  return v2_input_key(shared.view(), header.ephemeral_public, matter_public, encode_header(header));
}

Result<SecretBytes> v2_recipient_input_key(const MatterFileHeader& header, const SecretBytes& matter_secret)
{
  if (header.format_version != 2) {
    return fail(Errc::internal, "format {} files have no ephemeral key", header.format_version);
  }
  if (matter_secret.size() != x25519_key_size) {
    return fail(Errc::internal, "an X25519 secret key must be {} bytes", x25519_key_size);
  }
  const auto matter_public = TRY(x25519_public_key(matter_secret));
  auto shared = TRY(SecretBytes::allocate(x25519_key_size));
  if (!x25519(shared, matter_secret, header.ephemeral_public)) {
    return fail(Errc::auth_failed, "the file's ephemeral key is a low-order X25519 point (the header was forged)");
  }
  return v2_input_key(shared.view(), header.ephemeral_public, matter_public, encode_header(header));
}

} // namespace complycli::crypto
