#include "auditlog/note.hpp"

#include "util/hex.hpp"

#include <charconv>
#include <sodium.h>

namespace complycli::auditlog {

namespace {

constexpr uint8_t ed25519_type = 0x01;
constexpr std::string_view em_dash_space = "\xE2\x80\x94 ";
constexpr std::string_view private_prefix = "PRIVATE+KEY+";

// libsodium's SHA-256: OpenSSL's first digest in a process costs about 1 ms to start (see HashEngine).
std::array<uint8_t, 32> sha256(std::string_view data)
{
  std::array<uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char *>(data.data()), data.size());
  return out;
}

// Split at `separator`, into at most `max_parts` parts (the last one keeps any further separators).
std::vector<std::string_view> split(std::string_view text, char separator, std::size_t max_parts = SIZE_MAX)
{
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto at = parts.size() + 1 >= max_parts ? std::string_view::npos : text.find(separator, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

bool valid_key_name(std::string_view name)
{
  if (name.empty()) {
    return false;
  }
  for (unsigned char c : name) {
    if (c <= 0x20 || c == '+' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

} // namespace

std::array<uint8_t, 4> key_id(std::string_view name, std::span<const uint8_t, 32> public_key)
{
  std::string data(name);
  data.push_back('\n');
  data.push_back(static_cast<char>(ed25519_type));
  data.append(reinterpret_cast<const char *>(public_key.data()), public_key.size());
  const auto digest = sha256(data);
  return {digest[0], digest[1], digest[2], digest[3]};
}

std::string base64_encode(std::span<const uint8_t> bytes)
{
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1); // the terminating NUL
  return out;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text)
{
  std::vector<uint8_t> out(text.size() / 4 * 3 + 3);
  std::size_t length = 0;
  const char *end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::string PublicKey::vkey() const
{
  std::vector<uint8_t> material{ed25519_type};
  material.insert(material.end(), key.begin(), key.end());
  return fmt::format("{}+{}+{}", name, util::to_hex(id), base64_encode(material));
}

Result<PublicKey> parse_vkey(std::string_view text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const auto parts = split(text, '+', 3);
  if (parts.size() != 3 || !valid_key_name(parts[0]) || parts[1].size() != 8) {
    return fail(Errc::usage, "not a verifier key (expected NAME+KEYID+BASE64)");
  }
  const auto id = util::from_hex(parts[1]);
  const auto material = base64_decode(parts[2]);
  if (!id || !material || material->size() != 33 || (*material)[0] != ed25519_type) {
    return fail(Errc::usage, "not an Ed25519 verifier key (expected NAME+KEYID+BASE64)");
  }
  PublicKey key;
  key.name = std::string(parts[0]);
  std::copy(id->begin(), id->end(), key.id.begin());
  std::copy(material->begin() + 1, material->end(), key.key.begin());
  if (key_id(key.name, key.key) != key.id) {
    return fail(Errc::usage, "verifier key {}: the key ID does not match the name and key", key.name);
  }
  return key;
}

Result<LogKey> LogKey::generate()
{
  LogKey key;
  key.m_secret = TRY(crypto::SecretBytes::allocate(crypto_sign_SECRETKEYBYTES));
  crypto_sign_keypair(key.m_public.key.data(), key.m_secret.data());
  const auto digest = sha256(std::string_view(reinterpret_cast<const char *>(key.m_public.key.data()), 32));
  key.m_public.name = "complycli.audit/" + util::to_hex(std::span<const uint8_t>(digest.data(), 8));
  key.m_public.id = key_id(key.m_public.name, key.m_public.key);
  return key;
}

Result<LogKey> LogKey::parse(std::string_view text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (!text.starts_with(private_prefix)) {
    return fail(Errc::io, "not a complycli log key (expected PRIVATE+KEY+NAME+KEYID+BASE64)");
  }
  const auto parts = split(text.substr(private_prefix.size()), '+', 3);
  if (parts.size() != 3 || !valid_key_name(parts[0])) {
    return fail(Errc::io, "not a complycli log key (expected PRIVATE+KEY+NAME+KEYID+BASE64)");
  }
  auto material = base64_decode(parts[2]);
  if (!material || material->size() != 1 + crypto_sign_SEEDBYTES || (*material)[0] != ed25519_type) {
    if (material) {
      sodium_memzero(material->data(), material->size());
    }
    return fail(Errc::io, "the log key is damaged: not an Ed25519 seed");
  }
  LogKey key;
  key.m_secret = TRY(crypto::SecretBytes::allocate(crypto_sign_SECRETKEYBYTES));
  crypto_sign_seed_keypair(key.m_public.key.data(), key.m_secret.data(), material->data() + 1);
  sodium_memzero(material->data(), material->size());
  key.m_public.name = std::string(parts[0]);
  key.m_public.id = key_id(key.m_public.name, key.m_public.key);
  if (util::to_hex(key.m_public.id) != parts[1]) {
    return fail(Errc::io, "the log key is damaged: its key ID does not match its name and key");
  }
  return key;
}

std::string LogKey::serialize() const
{
  std::array<uint8_t, 1 + crypto_sign_SEEDBYTES> material{};
  material[0] = ed25519_type;
  crypto_sign_ed25519_sk_to_seed(material.data() + 1, m_secret.data());
  auto text = fmt::format("{}{}+{}+{}\n", private_prefix, m_public.name, util::to_hex(m_public.id),
                          base64_encode(material));
  sodium_memzero(material.data(), material.size());
  return text;
}

std::array<uint8_t, 64> LogKey::sign(std::string_view message) const
{
  std::array<uint8_t, 64> signature{};
  crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const uint8_t *>(message.data()),
                       message.size(), m_secret.data());
  return signature;
}

std::string checkpoint_text(const CheckpointBody &body)
{
  std::string text;
  if (body.root) {
    text = fmt::format("{}\n{}\n{}\nhead {}\n", body.origin, body.size, base64_encode(*body.root),
                       base64_encode(body.head));
  } else {
    text = fmt::format("{}\n{}\n{}\n", body.origin, body.size, base64_encode(body.head));
  }
  if (!body.time.empty()) {
    text += fmt::format("time {}\n", body.time);
  }
  return text;
}

std::string sign_checkpoint(const LogKey &key, const CheckpointBody &body)
{
  const auto text = checkpoint_text(body);
  const auto signature = key.sign(text);
  std::vector<uint8_t> blob(key.public_key().id.begin(), key.public_key().id.end());
  blob.insert(blob.end(), signature.begin(), signature.end());
  return fmt::format("{}\n{}{} {}\n", text, em_dash_space, key.public_key().name, base64_encode(blob));
}

Result<std::string_view> verify_note(std::string_view note, const PublicKey &key)
{
  for (unsigned char c : note) {
    if (c < 0x20 && c != '\n') {
      return fail(Errc::parse, "not a checkpoint: control character in the note");
    }
  }
  const auto split_at = note.rfind("\n\n");
  if (split_at == std::string_view::npos || note.empty() || note.back() != '\n') {
    return fail(Errc::parse, "not a checkpoint: no blank line before the signatures");
  }
  const auto text = note.substr(0, split_at + 1);
  auto signature_lines = split(note.substr(split_at + 2, note.size() - split_at - 3), '\n');
  bool found = false;
  for (auto line : signature_lines) {
    if (!line.starts_with(em_dash_space)) {
      return fail(Errc::parse, "not a checkpoint: a signature line does not start with an em dash");
    }
    line.remove_prefix(em_dash_space.size());
    const auto space = line.find(' ');
    if (space == std::string_view::npos) {
      return fail(Errc::parse, "not a checkpoint: malformed signature line");
    }
    const auto name = line.substr(0, space);
    const auto blob = base64_decode(line.substr(space + 1));
    if (!blob || blob->size() < 4) {
      return fail(Errc::parse, "not a checkpoint: malformed signature");
    }
    if (name != key.name || !std::equal(key.id.begin(), key.id.end(), blob->begin())) {
      continue; // another key's signature: ignored
    }
    if (blob->size() != 4 + crypto_sign_BYTES ||
        crypto_sign_verify_detached(blob->data() + 4, reinterpret_cast<const uint8_t *>(text.data()),
                                    text.size(), key.key.data()) != 0) {
      return fail(Errc::chain_broken, "bad signature by {}", key.name);
    }
    found = true;
  }
  if (!found) {
    return fail(Errc::chain_broken, "not signed by the log key {}", key.vkey());
  }
  return text;
}

Result<CheckpointBody> parse_checkpoint_text(std::string_view text)
{
  if (text.empty() || text.back() != '\n') {
    return fail(Errc::parse, "not a checkpoint: the text does not end with a newline");
  }
  const auto lines = split(text.substr(0, text.size() - 1), '\n');
  if (lines.size() < 3) {
    return fail(Errc::parse, "not a checkpoint: fewer than three lines");
  }
  CheckpointBody body;
  body.origin = std::string(lines[0]);
  const auto size_text = lines[1];
  const auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), body.size);
  if (ec != std::errc() || end != size_text.data() + size_text.size() || body.size < 0 ||
      (size_text.size() > 1 && size_text[0] == '0')) {
    return fail(Errc::parse, "not a checkpoint: the tree size is not a decimal number");
  }
  auto hash_of = [](std::string_view b64) -> std::optional<Hash> {
    const auto bytes = base64_decode(b64);
    if (!bytes || bytes->size() != 32) {
      return std::nullopt;
    }
    Hash out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
  };
  const auto third = hash_of(lines[2]);
  if (!third) {
    return fail(Errc::parse, "not a checkpoint: the root hash is not 32 bytes of base64");
  }
  body.head = *third;
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].starts_with("time ")) {
      body.time = std::string(lines[i].substr(5));
    } else if (lines[i].starts_with("head ")) {
      const auto head = hash_of(lines[i].substr(5));
      if (!head) {
        return fail(Errc::parse, "not a checkpoint: the head line is not 32 bytes of base64");
      }
      body.root = *third;
      body.head = *head;
    }
  }
  return body;
}

Result<CheckpointBody> open_checkpoint(std::string_view note, const PublicKey &key)
{
  const auto text = TRY(verify_note(note, key));
  auto body = TRY(parse_checkpoint_text(text));
  if (body.origin != key.name) {
    return fail(Errc::chain_broken, "the checkpoint is for log {}, not {}", body.origin, key.name);
  }
  return body;
}

} // namespace complycli::auditlog
