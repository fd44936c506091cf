#include "crypto/hkdf.hpp"

#include "crypto/openssl_error.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>
#include <string>
#include <vector>

namespace complycli::crypto {

namespace {

struct KdfDeleter {
  void operator()(EVP_KDF* kdf) const noexcept { EVP_KDF_free(kdf); }
  void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
};

} // namespace

Result<void> hkdf(const char* digest, HkdfMode mode, std::span<const uint8_t> key, std::span<const uint8_t> salt,
                  std::span<const uint8_t> info, std::span<uint8_t> out)
{
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) {
    return fail(Errc::internal, "OpenSSL has no HKDF: {}", openssl_error());
  }
  std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) {
    return fail(Errc::internal, "cannot allocate an HKDF context: {}", openssl_error());
  }
  int openssl_mode = mode == HkdfMode::expand_only ? EVP_KDF_HKDF_MODE_EXPAND_ONLY : EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
  std::string digest_name = digest;
  std::vector<OSSL_PARAM> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &openssl_mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()),
  };
  if (mode == HkdfMode::extract_and_expand) {
    params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()));
  }
  params.push_back(OSSL_PARAM_construct_end());
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) != 1) {
    return fail(Errc::internal, "HKDF-{} failed: {}", digest, openssl_error());
  }
  return {};
}

} // namespace complycli::crypto
