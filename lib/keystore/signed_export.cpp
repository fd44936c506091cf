#include "keystore/signed_export.hpp"

#include "util/file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <system_error>

namespace complycli::keystore {

namespace {

constexpr std::string_view em_dash_space = "\xE2\x80\x94 ";

std::string sha256_hex(std::string_view bytes)
{
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

// The canonical form: the JSON without "signature", keys sorted, no insignificant whitespace.
std::string canonical(const nlohmann::json& doc)
{
  nlohmann::json copy = doc;
  copy.erase("signature");
  return copy.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string note_text(std::string_view canonical_bytes, std::string_view exported_at)
{
  return fmt::format("{}\nexport-sha256 {}\nexported {}\n", export_origin, sha256_hex(canonical_bytes), exported_at);
}

} // namespace

std::string signed_export_json(const MatterExport& exported, const auditlog::LogKey& key, std::string_view exported_at)
{
  auto doc = nlohmann::ordered_json::parse(export_to_json(exported));
  doc["schema_version"] = 2;
  doc["exported"] = exported_at;
  doc["signer"] = key.public_key().vkey();
  const auto text = note_text(canonical(nlohmann::json::parse(doc.dump())), exported_at);
  const auto signature = key.sign(text);
  std::vector<uint8_t> blob(key.public_key().id.begin(), key.public_key().id.end());
  blob.insert(blob.end(), signature.begin(), signature.end());
  doc["signature"] = fmt::format("{}\n{}{} {}\n", text, em_dash_space, key.public_key().name,
                                 auditlog::base64_encode(blob));
  return doc.dump(2) + "\n";
}

Result<SignedExport> open_signed_export(std::string_view text, std::string_view file_name)
{
  SignedExport result;
  result.exported = TRY(export_from_json(text, file_name));
  const auto doc = nlohmann::json::parse(text); // export_from_json parsed it already
  const auto unsigned_export = [&](std::string_view why) {
    return fail_with_hint(Errc::auth_failed, "ask the sender to export it again with this release (exports are signed)",
                          "{}: the export is not signed ({}): refusing to import it", file_name, why);
  };
  if (doc.value("schema_version", 0) != 2) {
    return unsigned_export("schema_version 1, from an older complycli");
  }
  const auto signer = doc.find("signer");
  const auto note = doc.find("signature");
  const auto exported_at = doc.find("exported");
  if (signer == doc.end() || !signer->is_string() || note == doc.end() || !note->is_string() ||
      exported_at == doc.end() || !exported_at->is_string()) {
    return unsigned_export("no \"signer\", \"signature\" or \"exported\"");
  }
  auto key = auditlog::parse_vkey(signer->get<std::string>());
  if (!key) {
    return fail(Errc::parse, "{}: not a complycli matter export (signer: {})", file_name, key.error().message);
  }
  const auto modified = [&](std::string_view what) {
    return fail_with_hint(Errc::auth_failed, "get the export again from its sender; import nothing from this file",
                          "{}: the export's signature does not verify ({}): it was modified after it was signed",
                          file_name, what);
  };
  const auto note_text_signed = note->get<std::string>(); // verify_note returns a view into it
  const auto verified = auditlog::verify_note(note_text_signed, *key);
  if (!verified) {
    return modified(verified.error().message);
  }
  if (*verified != note_text(canonical(doc), exported_at->get<std::string>())) {
    return modified("the signed digest is not the export's");
  }
  result.signer = *key;
  result.exported_at = exported_at->get<std::string>();
  return result;
}

std::string key_fingerprint(const auditlog::PublicKey& key)
{
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), key.key.data(), key.key.size());
  auto text = auditlog::base64_encode(digest);
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  return "SHA256:" + text;
}

bool trust_names(std::string_view trust, const auditlog::PublicKey& key)
{
  if (trust == key_fingerprint(key)) {
    return true;
  }
  const auto parsed = auditlog::parse_vkey(trust);
  return parsed && *parsed == key;
}

Result<std::vector<auditlog::PublicKey>> load_trusted_signers(const std::filesystem::path& path)
{
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return std::vector<auditlog::PublicKey>{};
  }
  const auto text = TRY(util::read_file(path));
  std::vector<auditlog::PublicKey> keys;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    ++line_number;
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto key = auditlog::parse_vkey(line);
    if (!key) {
      return fail(Errc::parse, "{}:{}: not a verifier key: {}", path.string(), line_number, key.error().message);
    }
    keys.push_back(*key);
  }
  return keys;
}

Result<void> add_trusted_signer(const std::filesystem::path& path, const auditlog::PublicKey& key)
{
  const auto keys = TRY(load_trusted_signers(path));
  if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
    return {};
  }
  std::string text = "# Keys whose matter exports `complycli matter import` accepts (one vkey a line)\n";
  for (const auto& existing : keys) {
    text += existing.vkey() + "\n";
  }
  text += key.vkey() + "\n";
  return util::write_file_atomic(path, text, util::Overwrite::yes, 0600);
}

} // namespace complycli::keystore
