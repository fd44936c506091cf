#include "keystore/identity.hpp"

#include "util/bech32.hpp"
#include "util/file.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace complycli::keystore {

namespace {

constexpr int b64_variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

std::string to_base64(std::span<const uint8_t> bytes)
{
  std::string out(sodium_base64_encoded_len(bytes.size(), b64_variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), b64_variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// Decode base64url into `out` (exactly out.size() bytes expected).
bool from_base64(std::string_view text, std::span<uint8_t> out)
{
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end, b64_variant) != 0) {
    return false;
  }
  return length == out.size() && end == text.data() + text.size();
}

std::string_view trim(std::string_view s)
{
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

} // namespace

Result<Identity> generate_identity()
{
  Identity identity;
  identity.secret_key = TRY(crypto::SecretBytes::allocate(crypto_box_SECRETKEYBYTES));
  crypto_box_keypair(identity.public_key.data(), identity.secret_key.data());
  return identity;
}

std::string encode_public_key(const PublicKey& key)
{
  return util::bech32_encode(public_key_hrp, util::bytes_to_5bit(key));
}

std::string stored_public_key(const PublicKey& key)
{
  return std::string(public_key_prefix) + to_base64(key);
}

bool is_legacy_public_key(std::string_view text)
{
  text = trim(text);
  PublicKey key{};
  return text.size() == public_key_prefix.size() + 43 && text.starts_with(public_key_prefix) &&
         from_base64(text.substr(public_key_prefix.size()), key);
}

Result<PublicKey> parse_public_key(std::string_view text)
{
  text = trim(text);
  PublicKey key{};
  if (is_legacy_public_key(text)) {
    from_base64(text.substr(public_key_prefix.size()), key);
    return key;
  }
  const auto not_a_key = [&](std::string_view why) {
    return fail_with_hint(Errc::usage, "copy the key again from `complycli identity show FILE`",
                          "\"{}\" is not a complycli public key: {}", text, why);
  };
  const auto decoded = util::bech32_decode(text);
  if (!decoded) {
    return not_a_key(decoded.error().message);
  }
  if (decoded->hrp != public_key_hrp) {
    return not_a_key(fmt::format("it is for \"{}\", not \"{}\"", decoded->hrp, public_key_hrp));
  }
  const auto bytes = util::bytes_from_5bit(decoded->data);
  if (!bytes || bytes->size() != key.size()) {
    return not_a_key("it does not hold 32 bytes");
  }
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::string identity_file_text(const Identity& identity, std::string_view created)
{
  return fmt::format("# complycli identity: keep this file secret (mode 0600)\n# created: {}\n"
                     "# public key: {}\n{}{}\n",
                     created, encode_public_key(identity.public_key), secret_key_prefix,
                     to_base64(identity.secret_key.view()));
}

Result<Identity> load_identity(const std::filesystem::path& path)
{
  auto text = TRY(util::read_file(path));
  Identity identity;
  bool found = false;
  std::size_t line_number = 0;
  std::string_view rest = text;
  Result<Identity> result = fail(Errc::parse, "{}: no secret key line ({}...)", path.string(), secret_key_prefix);
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, newline));
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (found || !line.starts_with(secret_key_prefix)) {
      result = fail(Errc::parse, "{}:{}:1: not a complycli identity file (expected one {}... line)", path.string(),
                    line_number, secret_key_prefix);
      found = false;
      break;
    }
    auto secret = crypto::SecretBytes::allocate(crypto_box_SECRETKEYBYTES);
    if (!secret) {
      result = std::unexpected(secret.error());
      break;
    }
    if (!from_base64(line.substr(secret_key_prefix.size()), secret->span())) {
      result = fail(Errc::parse, "{}:{}:{}: the secret key is not valid base64url of 32 bytes", path.string(),
                    line_number, secret_key_prefix.size() + 1);
      break;
    }
    identity.secret_key = std::move(*secret);
    crypto_scalarmult_base(identity.public_key.data(), identity.secret_key.data());
    found = true;
  }
  sodium_memzero(text.data(), text.size());
  if (found) {
    return identity;
  }
  return result;
}

std::string seal_to(const PublicKey& recipient, std::span<const uint8_t> plaintext)
{
  std::string sealed(plaintext.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()), plaintext.data(), plaintext.size(),
                  recipient.data());
  return sealed;
}

Result<crypto::SecretBytes> open_sealed(const Identity& identity, std::span<const uint8_t> sealed)
{
  if (sealed.size() < crypto_box_SEALBYTES) {
    return fail(Errc::auth_failed, "sealed key is too short");
  }
  auto plain = TRY(crypto::SecretBytes::allocate(sealed.size() - crypto_box_SEALBYTES));
  if (crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), identity.public_key.data(),
                           identity.secret_key.data()) != 0) {
    return fail(Errc::auth_failed, "the key was not sealed to identity {}", encode_public_key(identity.public_key));
  }
  return plain;
}

} // namespace complycli::keystore
