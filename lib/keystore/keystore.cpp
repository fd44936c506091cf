#include "keystore/keystore.hpp"

#include "store/sqlite_keys.hpp"
#include "util/env.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <utility>

namespace complycli::keystore {

namespace fs = std::filesystem;
using crypto::SecretBytes;

namespace {

constexpr std::string_view wrap_label = "complycli-wrap-v1";
constexpr std::string_view verifier_label = "complycli-passphrase-verifier-v1";
constexpr std::size_t key_size = crypto::data_key_size;
constexpr std::size_t xnonce_size = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t tag_size = crypto_aead_xchacha20poly1305_ietf_ABYTES;

// ---- wrapping -------------------------------------------------------------------------------------

std::span<const uint8_t> as_bytes(std::string_view s)
{
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<uint8_t> wrap_ad(const MatterId& id, uint32_t version)
{
  std::vector<uint8_t> ad(wrap_label.begin(), wrap_label.end());
  ad.insert(ad.end(), id.begin(), id.end());
  for (int shift = 24; shift >= 0; shift -= 8) {
    ad.push_back(static_cast<uint8_t>(version >> shift));
  }
  return ad;
}

// nonce || ciphertext || tag
std::vector<uint8_t> aead_wrap(const SecretBytes& kek, std::span<const uint8_t> plaintext, std::span<const uint8_t> ad)
{
  std::vector<uint8_t> out(xnonce_size + plaintext.size() + tag_size);
  randombytes_buf(out.data(), xnonce_size);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + xnonce_size, &length, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, out.data(), kek.data());
  return out;
}

Result<SecretBytes> aead_unwrap(const SecretBytes& kek, std::span<const uint8_t> wrapped, std::span<const uint8_t> ad)
{
  if (wrapped.size() < xnonce_size + tag_size) {
    return fail(Errc::auth_failed, "wrapped key is too short");
  }
  auto plain = TRY(SecretBytes::allocate(wrapped.size() - xnonce_size - tag_size));
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &length, nullptr, wrapped.data() + xnonce_size,
                                                 wrapped.size() - xnonce_size, ad.data(), ad.size(),
                                                 wrapped.data(), kek.data()) != 0) {
    return fail(Errc::auth_failed, "wrapped key failed authentication");
  }
  return plain;
}

Result<SecretBytes> derive_kek(const SecretBytes& passphrase, std::span<const uint8_t> salt, const KdfParams& kdf)
{
  if (salt.size() != crypto_pwhash_SALTBYTES) {
    return fail(Errc::auth_failed, "passphrase slot has a salt of {} bytes", salt.size());
  }
  auto kek = TRY(SecretBytes::allocate(key_size));
  if (crypto_pwhash(kek.data(), kek.size(), reinterpret_cast<const char*>(passphrase.data()), passphrase.size(),
                    salt.data(), kdf.opslimit, static_cast<std::size_t>(kdf.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Errc::io, "cannot derive a key from the passphrase (Argon2id needs {} MiB of memory)",
                kdf.memlimit >> 20);
  }
  return kek;
}

std::vector<uint8_t> verifier_ad(const MatterId& id)
{
  std::vector<uint8_t> ad(verifier_label.begin(), verifier_label.end());
  ad.insert(ad.end(), id.begin(), id.end());
  return ad;
}

// The plaintext of a recipient wrap: matter id || version (big-endian) || key.
Result<SecretBytes> recipient_payload(const MatterId& id, uint32_t version, const SecretBytes& key)
{
  auto payload = TRY(SecretBytes::allocate(id.size() + 4 + key.size()));
  std::memcpy(payload.data(), id.data(), id.size());
  for (std::size_t i = 0; i < 4; ++i) {
    payload.data()[id.size() + i] = static_cast<uint8_t>(version >> (24 - 8 * i));
  }
  std::memcpy(payload.data() + id.size() + 4, key.data(), key.size());
  return payload;
}

Result<SecretBytes> key_from_payload(const SecretBytes& payload, const MatterId& id, uint32_t version)
{
  if (payload.size() != id.size() + 4 + key_size) {
    return fail(Errc::auth_failed, "sealed key has the wrong size");
  }
  std::array<uint8_t, crypto::matter_id_size + 4> prefix{};
  std::copy(id.begin(), id.end(), prefix.begin());
  for (std::size_t i = 0; i < 4; ++i) {
    prefix[id.size() + i] = static_cast<uint8_t>(version >> (24 - 8 * i));
  }
  if (sodium_memcmp(payload.data(), prefix.data(), prefix.size()) != 0) {
    return fail(Errc::auth_failed, "sealed key belongs to another matter or key version");
  }
  return SecretBytes::copy_of(payload.view().subspan(id.size() + 4));
}

bool valid_name(const std::string& name)
{
  static const std::regex pattern("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  return std::regex_match(name, pattern);
}

std::string to_base64(std::span<const uint8_t> bytes)
{
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> from_base64(std::string_view text)
{
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

// Per-keystore cache of passphrase-derived keys, so that one command derives each at most once.
std::map<std::pair<const void*, MatterId>, SecretBytes>& kek_cache()
{
  static std::map<std::pair<const void*, MatterId>, SecretBytes> cache;
  return cache;
}

} // namespace

// ---- KDF profiles ---------------------------------------------------------------------------------

KdfParams kdf_params(std::string_view profile_name)
{
  if (profile_name == "interactive") {
    return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
  }
  if (profile_name == "sensitive") {
    return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE};
  }
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

Result<KdfParams> kdf_params_for_new_slots()
{
  const auto profile = util::get_env("COMPLYCLI_KDF_PROFILE");
  if (!profile) {
    return kdf_params("moderate");
  }
  if (*profile != "interactive" && *profile != "moderate" && *profile != "sensitive") {
    return fail(Errc::usage, "COMPLYCLI_KDF_PROFILE must be interactive, moderate or sensitive, not {}", *profile);
  }
  const auto params = kdf_params(*profile);
  TRY_VOID(check_kdf_costs(params));
  return params;
}

Result<void> check_kdf_costs(const KdfParams& kdf)
{
  const KdfParams floor = kdf_params("moderate");
  const KdfParams cap = kdf_params("sensitive");
  if (kdf.opslimit > cap.opslimit || kdf.memlimit > cap.memlimit) {
    return fail(Errc::usage, "an Argon2id cost above the cap (opslimit {} > {} or memlimit {} MiB > {} MiB)",
                kdf.opslimit, cap.opslimit, kdf.memlimit >> 20, cap.memlimit >> 20);
  }
  if ((kdf.opslimit < floor.opslimit || kdf.memlimit < floor.memlimit) &&
      util::get_env("COMPLYCLI_TEST_WEAK_KDF") != "1") {
    return fail_with_hint(Errc::usage, "weaker costs are for tests only (COMPLYCLI_TEST_WEAK_KDF=1)",
                          "an Argon2id cost below the floor, libsodium's MODERATE (opslimit {} < {} or memlimit "
                          "{} MiB < {} MiB)",
                          kdf.opslimit, floor.opslimit, kdf.memlimit >> 20, floor.memlimit >> 20);
  }
  return {};
}

std::string Matter::id_hex() const
{
  return util::to_hex(id);
}

// ---- export file ----------------------------------------------------------------------------------

std::string export_to_json(const MatterExport& exported)
{
  nlohmann::ordered_json keys = nlohmann::ordered_json::array();
  for (const auto& key : exported.keys) {
    keys.push_back({{"version", key.version}, {"created", key.created}, {"sealed", to_base64(as_bytes(key.sealed))}});
  }
  nlohmann::ordered_json doc = {
      {"format", "complycli-matter-export"},
      {"schema_version", 1},
      {"matter", {{"name", exported.name}, {"id", util::to_hex(exported.id)}, {"created", exported.created}}},
      {"recipient", encode_public_key(exported.recipient)},
      {"key_versions", keys},
  };
  return doc.dump(2) + "\n";
}

Result<MatterExport> export_from_json(std::string_view text, std::string_view file_name)
{
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  const auto bad = [&](std::string_view what) {
    return fail(Errc::parse, "{}: not a complycli matter export ({})", file_name, what);
  };
  if (doc.is_discarded() || !doc.is_object()) {
    return bad("expected a JSON object, as `complycli matter export` writes");
  }
  // Each field is checked for its type before it is read (nlohmann's at() and get() throw).
  const auto field = [](const nlohmann::json& object, const char* key) -> const nlohmann::json* {
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  };
  const auto text_of = [&](const nlohmann::json& object, const char* key) -> std::optional<std::string> {
    const auto* value = field(object, key);
    return value && value->is_string() ? std::optional(value->get<std::string>()) : std::nullopt;
  };
  const auto* format = field(doc, "format");
  const auto* version = field(doc, "schema_version");
  if (!format || *format != "complycli-matter-export" || !version || (*version != 1 && *version != 2)) {
    return bad("expected \"format\": \"complycli-matter-export\" and \"schema_version\": 2");
  }
  const auto* matter = field(doc, "matter");
  if (!matter || !matter->is_object()) {
    return bad("expected \"matter\" to be an object with name, id and created");
  }
  MatterExport exported;
  const auto name = text_of(*matter, "name");
  const auto created = text_of(*matter, "created");
  const auto id_text = text_of(*matter, "id");
  if (!name || !created || !id_text) {
    return bad(fmt::format("expected matter.{} to be a string", !name ? "name" : !created ? "created" : "id"));
  }
  exported.name = *name;
  exported.created = *created;
  const auto id = util::from_hex(*id_text);
  if (!id || id->size() != exported.id.size()) {
    return bad("expected matter.id to be 32 hex digits");
  }
  std::copy(id->begin(), id->end(), exported.id.begin());
  const auto recipient_text = text_of(doc, "recipient");
  auto recipient = recipient_text ? parse_public_key(*recipient_text) : fail(Errc::parse, "not a string");
  if (!recipient) {
    return bad("expected recipient to be a public key complycli1...");
  }
  exported.recipient = *recipient;
  const auto* keys = field(doc, "key_versions");
  if (!keys || !keys->is_array()) {
    return bad("expected key_versions to be a list");
  }
  std::size_t index = 0;
  for (const auto& key : *keys) {
    const auto where = fmt::format("key_versions[{}]", index++);
    const auto* number = key.is_object() ? field(key, "version") : nullptr;
    const auto key_created = key.is_object() ? text_of(key, "created") : std::nullopt;
    const auto sealed_text = key.is_object() ? text_of(key, "sealed") : std::nullopt;
    if (!number || !number->is_number_unsigned() || number->get<uint64_t>() == 0 ||
        number->get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
      return bad(fmt::format("expected {}.version to be a whole number from 1", where));
    }
    if (!key_created) {
      return bad(fmt::format("expected {}.created to be a string", where));
    }
    auto sealed = sealed_text ? from_base64(*sealed_text) : std::nullopt;
    if (!sealed) {
      return bad(fmt::format("expected {}.sealed to be base64", where));
    }
    ExportedKey entry;
    entry.version = static_cast<uint32_t>(number->get<uint64_t>());
    entry.created = *key_created;
    entry.sealed = std::move(*sealed);
    exported.keys.push_back(std::move(entry));
  }
  if (exported.keys.empty()) {
    return bad("expected at least one key version");
  }
  return exported;
}

// ---- Keystore -------------------------------------------------------------------------------------

Keystore::Keystore(std::unique_ptr<store::KeyStore> store) : m_store(std::move(store)) {}

Keystore::Keystore(Keystore&& other) noexcept = default;
Keystore& Keystore::operator=(Keystore&& other) noexcept = default;

Keystore::~Keystore()
{
  auto& cache = kek_cache();
  std::erase_if(cache, [this](const auto& entry) { return entry.first.first == this; });
}

Result<void> Keystore::check_read_write(std::string_view what) const
{
  if (m_store->read_only()) {
    return fail(Errc::internal, "cannot {}: the keystore {} was opened read-only", what, m_store->name());
  }
  return {};
}

Result<Keystore> Keystore::open(const fs::path& path, util::Access access)
{
  return Keystore(TRY(store::SqliteKeyStore::open(path, access)));
}

Result<Keystore> Keystore::open(std::unique_ptr<store::KeyStore> store)
{
  if (!store) {
    return fail(Errc::internal, "a keystore without a store");
  }
  return Keystore(std::move(store));
}

namespace {

Result<Matter> load_matter(store::KeyStore& db, const store::MatterRow& row)
{
  Matter matter;
  if (row.id.size() != matter.id.size()) {
    return fail(Errc::io, "keystore: a matter id has {} bytes", row.id.size());
  }
  std::copy(row.id.begin(), row.id.end(), matter.id.begin());
  matter.name = row.name;
  matter.created = row.created;
  matter.shredded_at = row.shredded_at;
  for (const auto& stored : TRY(db.versions(matter.id))) {
    KeyVersion version{stored.version, stored.created, std::nullopt};
    if (stored.public_key && stored.public_key->size() == crypto::x25519_key_size) {
      version.public_key.emplace();
      std::copy(stored.public_key->begin(), stored.public_key->end(), version.public_key->begin());
    }
    matter.versions.push_back(std::move(version));
  }
  for (const auto& retired : TRY(db.retired(matter.id))) {
    matter.retired.push_back({retired.version, retired.retired_at, std::nullopt});
  }
  if (const auto slot = TRY(db.slot(matter.id))) {
    matter.passphrase = KdfParams{static_cast<uint64_t>(slot->opslimit), static_cast<uint64_t>(slot->memlimit)};
  }
  std::vector<std::string> stored;
  for (const auto& wrap : TRY(db.wraps(matter.id))) {
    if (wrap.kind == "recipient") {
      stored.push_back(wrap.recipient);
    }
  }
  std::sort(stored.begin(), stored.end());
  stored.erase(std::unique(stored.begin(), stored.end()), stored.end());
  for (const auto& text : stored) {
    // Stored in the legacy form (the row's name); shown in the Bech32 form.
    const auto key = parse_public_key(text);
    matter.recipients.push_back(key ? encode_public_key(*key) : text);
  }
  return matter;
}

} // namespace

std::vector<Matter> Keystore::list() const
{
  std::vector<Matter> matters;
  for (const auto& row : m_store->matters().value_or(std::vector<store::MatterRow>{})) {
    if (auto matter = load_matter(*m_store, row)) {
      matters.push_back(std::move(*matter));
    }
  }
  return matters;
}

Result<Matter> Keystore::find(const std::string& name) const
{
  const auto row = TRY(m_store->matter_by_name(name));
  if (!row) {
    return fail_with_hint(Errc::usage, "`complycli matter list` shows the matters of this workspace",
                          "no matter called \"{}\"", name);
  }
  return load_matter(*m_store, *row);
}

std::optional<Matter> Keystore::find_by_id(const MatterId& id) const
{
  const auto row = m_store->matter_by_id(id);
  if (!row || !*row) {
    return std::nullopt;
  }
  auto matter = load_matter(*m_store, **row);
  return matter ? std::optional<Matter>(std::move(*matter)) : std::nullopt;
}

namespace {

struct NewSlot {
  std::vector<uint8_t> salt;
  KdfParams kdf;
  std::vector<uint8_t> verifier; // nonce || sealed verifier
  SecretBytes kek;
};

Result<NewSlot> new_slot(const MatterId& id, const SecretBytes& passphrase, const KdfParams& kdf)
{
  TRY_VOID(check_kdf_costs(kdf));
  NewSlot slot;
  slot.salt.resize(crypto_pwhash_SALTBYTES);
  randombytes_buf(slot.salt.data(), slot.salt.size());
  slot.kdf = kdf;
  slot.kek = TRY(derive_kek(passphrase, slot.salt, kdf));
  slot.verifier = aead_wrap(slot.kek, as_bytes(verifier_label), verifier_ad(id));
  return slot;
}

Result<void> store_slot(store::KeyStore& db, const MatterId& id, const NewSlot& slot)
{
  const std::span<const uint8_t> verifier = slot.verifier;
  const auto nonce = verifier.first(xnonce_size);
  return db.put_slot(id, {slot.salt, static_cast<int64_t>(slot.kdf.opslimit), static_cast<int64_t>(slot.kdf.memlimit),
                          store::Bytes(nonce.begin(), nonce.end()), slot.verifier});
}

Result<void> store_wrap(store::KeyStore& db, const MatterId& id, uint32_t version, std::string_view kind,
                        std::string_view recipient, std::span<const uint8_t> wrapped)
{
  return db.put_wrap(id, {version, std::string(kind), std::string(recipient), store::Bytes(wrapped.begin(), wrapped.end())});
}

// A key version row and the public key of its X25519 pair (derived from `key`, the version secret).
Result<void> store_version(store::KeyStore& db, const MatterId& id, uint32_t version, std::string_view created,
                           const SecretBytes& key)
{
  const auto secret_key = TRY(crypto::version_secret_key(key));
  const auto public_key = TRY(crypto::x25519_public_key(secret_key));
  return db.insert_version(id, {version, std::string(created), store::Bytes(public_key.begin(), public_key.end())});
}

// Wrap `key` every way: with `kek` (if any) and to each recipient.
Result<void> store_wraps(store::KeyStore& db, const MatterId& id, uint32_t version, const SecretBytes& key,
                         const SecretBytes* kek, const std::vector<PublicKey>& recipients)
{
  if (kek != nullptr) {
    TRY_VOID(store_wrap(db, id, version, "passphrase", "", aead_wrap(*kek, key.view(), wrap_ad(id, version))));
  }
  for (const auto& recipient : recipients) {
    const auto payload = TRY(recipient_payload(id, version, key));
    const auto sealed = seal_to(recipient, payload.view());
    TRY_VOID(store_wrap(db, id, version, "recipient", stored_public_key(recipient), as_bytes(sealed)));
  }
  return {};
}

std::string matter_label(const Matter& matter)
{
  return fmt::format("\"{}\"", matter.name);
}

// ---- authenticated records ------------------------------------------------------------------------
//
// A matter's record (its row, key versions, passphrase slot, every wrap and chain wrap) is bound by
// HMAC-SHA-256 under a key derived (BLAKE2b, crypto_kdf) from the data key of its oldest version, which
// only an unlocked matter yields. Each later version's key is also wrapped under the one before it (a
// chain wrap), and unwrap() derives every version from the oldest through the chain: a version row,
// recipient row or sealed box added by someone who cannot unlock the matter, or a version dropped, is
// detected before any key is used or sealed.

constexpr std::string_view chain_label = "complycli-chain-v1";
constexpr std::string_view record_label = "complycli-keystore-record-v1";
constexpr char record_kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "cmplyrec";

std::vector<uint8_t> chain_ad(const MatterId& id, uint32_t version)
{
  std::vector<uint8_t> ad(chain_label.begin(), chain_label.end());
  ad.insert(ad.end(), id.begin(), id.end());
  for (int shift = 24; shift >= 0; shift -= 8) {
    ad.push_back(static_cast<uint8_t>(version >> shift));
  }
  return ad;
}

// The canonical bytes of everything stored about a matter, as the MAC sees them (the same bytes from
// every store: rows are put in key order here, texts compared as bytes).
Result<std::string> record_bytes(store::KeyStore& db, const MatterId& id)
{
  nlohmann::ordered_json record;
  const auto matter = TRY(db.matter_by_id(id));
  if (!matter) {
    return fail(Errc::internal, "no matter with id {}", util::to_hex(id));
  }
  record["id"] = util::to_hex(id);
  record["name"] = matter->name;
  record["created"] = matter->created;
  record["shredded_at"] = matter->shredded_at ? nlohmann::ordered_json(*matter->shredded_at) : nlohmann::ordered_json();
  auto& versions = record["versions"] = nlohmann::ordered_json::array();
  for (const auto& row : TRY(db.versions(id))) {
    if (!row.public_key) { // a version from before format 2: [version, created], as records sealed then
      versions.push_back({row.version, row.created});
    } else {
      versions.push_back({row.version, row.created, util::to_hex(*row.public_key)});
    }
  }
  record["slot"] = nullptr;
  if (const auto slot = TRY(db.slot(id))) {
    record["slot"] = {util::to_hex(slot->salt), slot->opslimit, slot->memlimit, util::to_hex(slot->nonce),
                      util::to_hex(slot->verifier)};
  }
  auto wrap_rows = TRY(db.wraps(id));
  std::sort(wrap_rows.begin(), wrap_rows.end(), [](const store::WrapRow& a, const store::WrapRow& b) {
    return std::tie(a.version, a.kind, a.recipient) < std::tie(b.version, b.kind, b.recipient);
  });
  auto& wraps = record["wraps"] = nlohmann::ordered_json::array();
  for (const auto& row : wrap_rows) {
    wraps.push_back({row.version, row.kind, row.recipient, util::to_hex(row.wrapped)});
  }
  auto& chain = record["chain"] = nlohmann::ordered_json::array();
  for (const auto& row : TRY(db.chain_wraps(id))) {
    chain.push_back({row.version, util::to_hex(row.wrapped)});
  }
  nlohmann::ordered_json retired = nlohmann::ordered_json::array();
  for (const auto& row : TRY(db.retired(id))) {
    retired.push_back({row.version, row.retired_at});
  }
  if (!retired.empty()) { // absent otherwise, so records sealed before retirement existed still match
    record["retired"] = retired;
  }
  return std::string(record_label) + "\n" + record.dump();
}

Result<SecretBytes> record_key(const SecretBytes& oldest_key)
{
  auto key = TRY(SecretBytes::allocate(crypto_auth_hmacsha256_KEYBYTES));
  crypto_kdf_derive_from_key(key.data(), key.size(), 1, record_kdf_context, oldest_key.data());
  return key;
}

std::unexpected<Error> record_modified(const store::KeyStore& db, const Matter& matter)
{
  return fail_with_hint(Errc::auth_failed,
                        fmt::format("someone who could write the keystore changed it: restore {} from a backup",
                                    db.name()),
                        "keystore record of matter {} was modified", matter.name);
}

Result<bool> record_mac_matches(store::KeyStore& db, const MatterId& id, const SecretBytes& oldest_key,
                                std::span<const uint8_t> mac)
{
  if (mac.size() != crypto_auth_hmacsha256_BYTES) {
    return false;
  }
  const auto bytes = TRY(record_bytes(db, id));
  const auto key = TRY(record_key(oldest_key));
  return crypto_auth_hmacsha256_verify(mac.data(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                       key.data()) == 0;
}

// Write the chain wraps for `keys` (every version, oldest first) and the record MAC, inside the
// caller's transaction, after every other change to the matter's rows.
Result<void> seal_record(store::KeyStore& db, const MatterId& id,
                         const std::vector<std::pair<uint32_t, SecretBytes>>& keys)
{
  if (keys.empty()) {
    return fail(Errc::internal, "a matter record with no key version");
  }
  std::vector<store::ChainRow> chain;
  for (std::size_t i = 1; i < keys.size(); ++i) {
    const auto& [version, key] = keys[i];
    chain.push_back({version, aead_wrap(keys[i - 1].second, key.view(), chain_ad(id, version))});
  }
  TRY_VOID(db.replace_chain(id, chain));
  const auto bytes = TRY(record_bytes(db, id));
  const auto key = TRY(record_key(keys.front().second));
  std::vector<uint8_t> mac(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), key.data());
  return db.put_record_mac(id, mac);
}

// Inside a write transaction (which no other writer interleaves with): Errc::io unless the matter's
// stored rows still say what `matter` (read before the transaction) says, so that a command never
// seals a record over a change another process or machine made in between.
Result<void> check_unchanged(store::KeyStore& db, const Matter& matter)
{
  const auto row = TRY(db.matter_by_id(matter.id));
  const auto now = row ? TRY(load_matter(db, *row)) : Matter{};
  const auto numbers = [](const std::vector<KeyVersion>& versions) {
    std::vector<uint32_t> out;
    for (const auto& v : versions) {
      out.push_back(v.version);
    }
    return out;
  };
  if (!row || now.shredded_at != matter.shredded_at || numbers(now.versions) != numbers(matter.versions) ||
      numbers(now.retired) != numbers(matter.retired) || now.passphrase.has_value() != matter.passphrase.has_value() ||
      now.recipients != matter.recipients) {
    return fail_with_hint(Errc::io, "run the command again",
                          "matter {} was changed by another command while this one ran; nothing was written",
                          matter_label(matter));
  }
  return {};
}

} // namespace

Result<Matter> Keystore::create_matter(const std::string& name, const SecretBytes* passphrase,
                                       const std::vector<PublicKey>& recipients, const KdfParams& kdf)
{
  TRY_VOID(check_read_write("create a matter"));
  if (!valid_name(name)) {
    return fail(Errc::usage, "matter names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or"
                             " digit, not \"{}\"",
                name);
  }
  if (passphrase == nullptr && recipients.empty()) {
    return fail_with_hint(Errc::usage, "add --recipient PUBKEY, or drop --no-passphrase",
                          "a matter needs a passphrase or at least one recipient");
  }
  if (find(name)) {
    return fail(Errc::usage, "a matter called \"{}\" already exists", name);
  }
  MatterId id{};
  randombytes_buf(id.data(), id.size());
  std::optional<NewSlot> slot;
  if (passphrase != nullptr) {
    slot = TRY(new_slot(id, *passphrase, kdf));
  }
  const auto key = TRY(SecretBytes::random(key_size));
  const auto now = util::now_rfc3339();
  const auto apply = [&]() -> Result<void> {
    if (TRY(m_store->matter_by_name(name))) {
      return fail(Errc::usage, "a matter called \"{}\" already exists", name);
    }
    TRY_VOID(m_store->insert_matter({store::Bytes(id.begin(), id.end()), name, now, std::nullopt}));
    TRY_VOID(store_version(*m_store, id, 1, now, key));
    if (slot) {
      TRY_VOID(store_slot(*m_store, id, *slot));
    }
    TRY_VOID(store_wraps(*m_store, id, 1, key, slot ? &slot->kek : nullptr, recipients));
    std::vector<std::pair<uint32_t, SecretBytes>> keys;
    keys.emplace_back(1, TRY(SecretBytes::copy_of(key.view())));
    return seal_record(*m_store, id, keys);
  };
  TRY_VOID(m_store->write(apply));
  if (slot) {
    kek_cache().insert_or_assign({this, id}, std::move(slot->kek));
  }
  return find(name);
}

namespace {

// The passphrase-derived key of a matter's slot, checked against the slot's verifier.
Result<const SecretBytes*> slot_kek(const void* owner, store::KeyStore& db, const Matter& matter,
                                   const Unlock& unlock)
{
  auto& cache = kek_cache();
  if (auto it = cache.find({owner, matter.id}); it != cache.end()) {
    return &it->second;
  }
  const auto slot = TRY(db.slot(matter.id));
  if (!slot) {
    return fail(Errc::internal, "matter {} has no passphrase slot", matter_label(matter));
  }
  const KdfParams kdf{static_cast<uint64_t>(slot->opslimit), static_cast<uint64_t>(slot->memlimit)};
  if (auto costs = check_kdf_costs(kdf); !costs) {
    return fail(Errc::auth_failed, "the passphrase slot of matter {} has {}", matter_label(matter),
                costs.error().message);
  }
  const auto passphrase = TRY(unlock.passphrase());
  auto kek = TRY(derive_kek(passphrase, slot->salt, kdf));
  auto check = aead_unwrap(kek, slot->verifier, verifier_ad(matter.id));
  if (!check || check->size() != verifier_label.size() ||
      std::memcmp(check->data(), verifier_label.data(), verifier_label.size()) != 0) {
    return fail_with_hint(Errc::auth_failed, "check COMPLYCLI_PASSPHRASE or --passphrase-file",
                          "wrong passphrase for matter {}", matter_label(matter));
  }
  auto [it, inserted] = cache.insert_or_assign({owner, matter.id}, std::move(kek));
  return &it->second;
}

} // namespace

namespace {

// Errc::auth_failed unless `matter` holds key `version`.
Result<void> check_version_held(const Matter& matter, uint32_t version)
{
  if (matter.shredded_at) {
    return fail(Errc::auth_failed, "the keys of matter {} were destroyed on {} (matter shred)", matter_label(matter),
                *matter.shredded_at);
  }
  if (std::none_of(matter.versions.begin(), matter.versions.end(),
                   [&](const KeyVersion& v) { return v.version == version; })) {
    const auto retired = std::find_if(matter.retired.begin(), matter.retired.end(),
                                      [&](const KeyVersion& v) { return v.version == version; });
    if (retired != matter.retired.end()) {
      return fail(Errc::auth_failed, "key version {} of matter {} was retired on {} (matter retire): its key is "
                                     "destroyed", version, matter_label(matter), retired->created);
    }
    return fail(Errc::auth_failed, "matter {} has no key version {} in this workspace", matter_label(matter),
                version);
  }
  return {};
}

} // namespace

Result<SecretBytes> Keystore::unwrap(const Matter& matter, uint32_t version, const Unlock& unlock) const
{
  TRY_VOID(check_version_held(matter, version));
  // One snapshot of the matter's rows for the whole check, whatever other machines commit meanwhile.
  std::optional<SecretBytes> out;
  const auto check = [&]() -> Result<void> {
    const auto mac = TRY(m_store->record_mac(matter.id));
    if (!mac) {
      out = TRY(unwrap_stored(matter, version, unlock)); // a matter from before authenticated records
      return {};
    }
    // The oldest version through its own wraps; the record MAC under it; then the chain up to `version`.
    const uint32_t oldest = matter.versions.front().version;
    auto key = TRY(unwrap_stored(matter, oldest, unlock));
    if (!TRY(record_mac_matches(*m_store, matter.id, key, *mac))) {
      return record_modified(*m_store, matter);
    }
    const auto chain = TRY(m_store->chain_wraps(matter.id));
    for (const auto& step : matter.versions) {
      if (step.version <= oldest || step.version > version) {
        continue;
      }
      const auto link = std::find_if(chain.begin(), chain.end(),
                                     [&](const store::ChainRow& row) { return row.version == step.version; });
      auto next = link == chain.end() ? fail(Errc::auth_failed, "no chain wrap")
                                      : aead_unwrap(key, link->wrapped, chain_ad(matter.id, step.version));
      if (!next) {
        return record_modified(*m_store, matter);
      }
      key = std::move(*next);
    }
    out = std::move(key);
    return {};
  };
  TRY_VOID(m_store->read(check));
  return std::move(*out);
}

Result<SecretBytes> Keystore::unwrap_stored(const Matter& matter, uint32_t version, const Unlock& unlock) const
{
  TRY_VOID(check_version_held(matter, version));
  const auto wraps = TRY(m_store->wraps(matter.id));
  const auto stored = [&](std::string_view kind, std::string_view recipient) -> const store::WrapRow* {
    const auto it = std::find_if(wraps.begin(), wraps.end(), [&](const store::WrapRow& row) {
      return row.version == version && row.kind == kind && row.recipient == recipient;
    });
    return it == wraps.end() ? nullptr : &*it;
  };
  std::vector<std::string> offered;
  for (const Identity* identity : unlock.identities) {
    offered.push_back(encode_public_key(identity->public_key));
    if (const auto* wrap = stored("recipient", stored_public_key(identity->public_key))) {
      const auto payload = TRY(open_sealed(*identity, wrap->wrapped));
      return key_from_payload(payload, matter.id, version);
    }
  }
  if (matter.passphrase && unlock.passphrase) {
    const SecretBytes* kek = TRY(slot_kek(this, *m_store, matter, unlock));
    const auto* wrap = stored("passphrase", "");
    if (wrap == nullptr) {
      return fail(Errc::auth_failed, "key version {} of matter {} has no passphrase wrap", version,
                  matter_label(matter));
    }
    auto key = aead_unwrap(*kek, wrap->wrapped, wrap_ad(matter.id, version));
    if (!key) {
      return fail(Errc::auth_failed, "the passphrase wrap of key version {} of matter {} failed authentication",
                  version, matter_label(matter));
    }
    return key;
  }
  if (!offered.empty()) {
    return fail_with_hint(Errc::auth_failed,
                          matter.passphrase ? "drop --identity to use the passphrase" : "use a recipient's identity",
                          "identity {} is not a recipient of matter {}", fmt::join(offered, ", "),
                          matter_label(matter));
  }
  if (!matter.passphrase) {
    return fail_with_hint(Errc::auth_failed, "use --identity FILE with a recipient's identity",
                          "matter {} has no passphrase: only its recipients can open it", matter_label(matter));
  }
  return fail(Errc::auth_failed, "no passphrase to unlock matter {}", matter_label(matter));
}

Result<uint32_t> Keystore::rotate(const Matter& matter, const Unlock& unlock)
{
  TRY_VOID(check_read_write("rotate a matter"));
  if (matter.shredded_at) {
    return fail(Errc::usage, "matter {} was shredded on {}", matter_label(matter), *matter.shredded_at);
  }
  const SecretBytes* kek = nullptr;
  if (matter.passphrase) {
    if (!unlock.passphrase) {
      return fail(Errc::auth_failed, "matter {} has a passphrase: it is needed to wrap the new key",
                  matter_label(matter));
    }
    kek = TRY(slot_kek(this, *m_store, matter, unlock));
  }
  // Every version is unlocked first: that checks the record (so an added recipient row is found before
  // anything is sealed to it), and the new key is chained to the newest one.
  std::vector<std::pair<uint32_t, SecretBytes>> keys;
  for (const auto& existing : matter.versions) {
    keys.emplace_back(existing.version, TRY(unwrap(matter, existing.version, unlock)));
  }
  std::vector<PublicKey> recipients;
  for (const auto& text : matter.recipients) {
    recipients.push_back(TRY(parse_public_key(text)));
  }
  const uint32_t version = matter.newest_version() + 1;
  const auto key = TRY(SecretBytes::random(key_size));
  keys.emplace_back(version, TRY(SecretBytes::copy_of(key.view())));
  const auto apply = [&]() -> Result<void> {
    TRY_VOID(check_unchanged(*m_store, matter));
    TRY_VOID(store_version(*m_store, matter.id, version, util::now_rfc3339(), key));
    TRY_VOID(store_wraps(*m_store, matter.id, version, key, kek, recipients));
    return seal_record(*m_store, matter.id, keys);
  };
  TRY_VOID(m_store->write(apply));
  return version;
}

Result<void> Keystore::rewrap(const Matter& matter, const Unlock& unlock, const Rewrap& change)
{
  TRY_VOID(check_read_write("rewrap a matter"));
  if (matter.shredded_at) {
    return fail(Errc::usage, "matter {} was shredded on {}", matter_label(matter), *matter.shredded_at);
  }
  if (change.new_passphrase != nullptr && change.remove_passphrase) {
    return fail(Errc::usage, "--new-passphrase and --remove-passphrase exclude each other");
  }
  // The recipients after the change, checked before anything is unlocked.
  std::vector<std::string> recipients = matter.recipients;
  for (const auto& key : change.remove_recipients) {
    const auto text = encode_public_key(key);
    const auto it = std::find(recipients.begin(), recipients.end(), text);
    if (it == recipients.end()) {
      return fail(Errc::usage, "{} is not a recipient of matter {}", text, matter_label(matter));
    }
    recipients.erase(it);
  }
  std::vector<PublicKey> added;
  for (const auto& key : change.add_recipients) {
    const auto text = encode_public_key(key);
    if (std::find(recipients.begin(), recipients.end(), text) != recipients.end()) {
      return fail(Errc::usage, "{} is already a recipient of matter {}", text, matter_label(matter));
    }
    recipients.push_back(text);
    added.push_back(key);
  }
  const bool passphrase_after = change.new_passphrase != nullptr || (matter.passphrase && !change.remove_passphrase);
  if (!passphrase_after && recipients.empty()) {
    return fail_with_hint(Errc::usage, "add a recipient or a passphrase in the same command",
                          "refusing to remove the last way to unlock matter {}", matter_label(matter));
  }
  if (change.remove_passphrase && !matter.passphrase) {
    return fail(Errc::usage, "matter {} has no passphrase to remove", matter_label(matter));
  }
  if (!passphrase_after && matter.passphrase) {
    // The passphrase goes and no new one comes: one of the recipients that remain must be shown to
    // unlock the matter, by its identity, so that a mistyped or foreign key cannot lock everyone out.
    const Identity* proof = nullptr;
    for (const Identity* identity : unlock.identities) {
      if (std::find(recipients.begin(), recipients.end(), encode_public_key(identity->public_key)) !=
          recipients.end()) {
        proof = identity;
        break;
      }
    }
    if (proof == nullptr) {
      return fail_with_hint(Errc::usage, "pass --identity FILE of a recipient that stays (added or kept)",
                            "removing the passphrase of matter {} needs proof that a remaining recipient can "
                            "unlock it", matter_label(matter));
    }
    const bool added_now = std::any_of(added.begin(), added.end(),
                                       [&](const PublicKey& key) { return key == proof->public_key; });
    if (!added_now) {
      for (const auto& version : matter.versions) {
        TRY(unwrap(matter, version.version, Unlock{{proof}, {}}));
      }
    }
  }

  std::vector<std::pair<uint32_t, SecretBytes>> keys;
  for (const auto& version : matter.versions) {
    keys.emplace_back(version.version, TRY(unwrap(matter, version.version, unlock)));
  }
  std::optional<NewSlot> slot;
  if (change.new_passphrase != nullptr) {
    const auto kdf = TRY(kdf_params_for_new_slots());
    slot = TRY(new_slot(matter.id, *change.new_passphrase, kdf));
  }
  // Removing a recipient or the passphrase rotates: what remains wraps the new version.
  const bool revoke = !change.remove_recipients.empty() || change.remove_passphrase;
  const SecretBytes* kept_kek = nullptr;
  std::vector<PublicKey> remaining;
  if (revoke) {
    if (!slot && matter.passphrase && !change.remove_passphrase) {
      if (!unlock.passphrase) {
        return fail(Errc::auth_failed, "matter {} has a passphrase: it is needed to wrap the new key version",
                    matter_label(matter));
      }
      kept_kek = TRY(slot_kek(this, *m_store, matter, unlock));
    }
    for (const auto& text : recipients) {
      remaining.push_back(TRY(parse_public_key(text)));
    }
  }

  const auto apply = [&]() -> Result<void> {
    TRY_VOID(check_unchanged(*m_store, matter));
    if (slot || change.remove_passphrase) {
      TRY_VOID(m_store->delete_wraps(matter.id, "passphrase"));
      TRY_VOID(m_store->delete_slot(matter.id));
    }
    if (slot) {
      TRY_VOID(store_slot(*m_store, matter.id, *slot));
    }
    for (const auto& key : change.remove_recipients) {
      TRY_VOID(m_store->delete_wraps(matter.id, "recipient", stored_public_key(key)));
    }
    for (const auto& [version, key] : keys) {
      TRY_VOID(store_wraps(*m_store, matter.id, version, key, slot ? &slot->kek : nullptr, added));
    }
    if (revoke) {
      // Revocation: a new key version, wrapped only the ways that remain, for new files.
      const uint32_t version = matter.newest_version() + 1;
      auto key = TRY(SecretBytes::random(key_size));
      TRY_VOID(store_version(*m_store, matter.id, version, util::now_rfc3339(), key));
      TRY_VOID(store_wraps(*m_store, matter.id, version, key, slot ? &slot->kek : kept_kek, remaining));
      keys.emplace_back(version, std::move(key));
    }
    return seal_record(*m_store, matter.id, keys);
  };
  TRY_VOID(m_store->write(apply));
  kek_cache().erase({this, matter.id});
  if (slot) {
    kek_cache().insert_or_assign({this, matter.id}, std::move(slot->kek));
  }
  return {};
}

Result<void> Keystore::shred(const Matter& matter)
{
  TRY_VOID(check_read_write("shred a matter"));
  if (matter.shredded_at) {
    return fail(Errc::usage, "matter {} was already shredded on {}", matter_label(matter), *matter.shredded_at);
  }
  kek_cache().erase({this, matter.id});
  const auto apply = [&]() -> Result<void> {
    // Only whether it was shredded meanwhile matters: shred destroys whatever versions there are now.
    const auto now = TRY(m_store->matter_by_id(matter.id));
    if (now && now->shredded_at) {
      return fail(Errc::usage, "matter {} was already shredded on {}", matter_label(matter), *now->shredded_at);
    }
    TRY_VOID(m_store->delete_keys(matter.id));
    return m_store->set_shredded(matter.id, util::now_rfc3339());
  };
  TRY_VOID(m_store->write(apply));
  return m_store->scrub();
}

Result<MatterExport> Keystore::export_matter(const Matter& matter, const Unlock& unlock, const PublicKey& to) const
{
  if (matter.shredded_at) {
    return fail(Errc::auth_failed, "the keys of matter {} were destroyed on {} (matter shred)", matter_label(matter),
                *matter.shredded_at);
  }
  MatterExport exported;
  exported.id = matter.id;
  exported.name = matter.name;
  exported.created = matter.created;
  exported.recipient = to;
  for (const auto& version : matter.versions) {
    const auto key = TRY(unwrap(matter, version.version, unlock));
    const auto payload = TRY(recipient_payload(matter.id, version.version, key));
    exported.keys.push_back({version.version, version.created, seal_to(to, payload.view())});
  }
  return exported;
}

Result<Matter> Keystore::import_matter(const MatterExport& exported, const Identity& identity,
                                       const SecretBytes* passphrase, const KdfParams& kdf)
{
  TRY_VOID(check_read_write("import a matter"));
  if (exported.recipient != identity.public_key) {
    return fail(Errc::auth_failed, "the export is sealed to {}, not to this identity ({})",
                encode_public_key(exported.recipient), encode_public_key(identity.public_key));
  }
  if (!valid_name(exported.name)) {
    return fail(Errc::parse, "the export names an invalid matter \"{}\"", exported.name);
  }
  if (auto existing = find_by_id(exported.id)) {
    return fail(Errc::usage, "this workspace already has matter \"{}\" (id {})", existing->name, existing->id_hex());
  }
  if (find(exported.name)) {
    return fail(Errc::usage, "a matter called \"{}\" already exists", exported.name);
  }
  std::vector<std::pair<const ExportedKey*, SecretBytes>> keys;
  for (const auto& entry : exported.keys) {
    const auto payload = TRY(open_sealed(identity, as_bytes(entry.sealed)));
    keys.emplace_back(&entry, TRY(key_from_payload(payload, exported.id, entry.version)));
  }
  std::optional<NewSlot> slot;
  if (passphrase != nullptr) {
    slot = TRY(new_slot(exported.id, *passphrase, kdf));
  }
  std::vector<std::pair<uint32_t, SecretBytes>> sealed;
  for (const auto& [entry, key] : keys) {
    sealed.emplace_back(entry->version, TRY(SecretBytes::copy_of(key.view())));
  }
  std::sort(sealed.begin(), sealed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto apply = [&]() -> Result<void> {
    TRY_VOID(m_store->insert_matter(
        {store::Bytes(exported.id.begin(), exported.id.end()), exported.name, exported.created, std::nullopt}));
    if (slot) {
      TRY_VOID(store_slot(*m_store, exported.id, *slot));
    }
    for (const auto& [entry, key] : keys) {
      TRY_VOID(store_version(*m_store, exported.id, entry->version, entry->created, key));
      TRY_VOID(store_wraps(*m_store, exported.id, entry->version, key, slot ? &slot->kek : nullptr,
                           {identity.public_key}));
    }
    return seal_record(*m_store, exported.id, sealed);
  };
  TRY_VOID(m_store->write(apply));
  return find(exported.name);
}

Result<std::vector<uint32_t>> Keystore::import_newer_versions(const Matter& held, const MatterExport& exported,
                                                                const Identity& identity, const Unlock& unlock)
{
  TRY_VOID(check_read_write("import a matter"));
  if (exported.recipient != identity.public_key) {
    return fail(Errc::auth_failed, "the export is sealed to {}, not to this identity ({})",
                encode_public_key(exported.recipient), encode_public_key(identity.public_key));
  }
  if (exported.id != held.id) {
    return fail(Errc::internal, "the export is of another matter");
  }
  if (held.shredded_at) {
    return fail(Errc::usage, "matter {} was shredded here on {}: its keys are not imported again",
                matter_label(held), *held.shredded_at);
  }
  uint32_t newest_exported = 0;
  for (const auto& entry : exported.keys) {
    newest_exported = std::max(newest_exported, entry.version);
  }
  if (newest_exported < held.newest_version()) {
    return fail_with_hint(Errc::auth_failed, "an older export was replayed; import the newest export of the matter",
                          "the export is rolled back: it holds key versions up to {} of matter {}, this workspace "
                          "already holds version {}",
                          newest_exported, matter_label(held), held.newest_version());
  }
  if (newest_exported == held.newest_version()) {
    return fail(Errc::usage, "this workspace already has matter {} (id {}) with every key version of the export",
                matter_label(held), held.id_hex());
  }
  // Every held key, through the record check; then the export's keys, which must agree with them.
  std::vector<std::pair<uint32_t, SecretBytes>> keys;
  for (const auto& version : held.versions) {
    keys.emplace_back(version.version, TRY(unwrap(held, version.version, unlock)));
  }
  std::vector<std::pair<uint32_t, SecretBytes>> added;
  for (const auto& entry : exported.keys) {
    const auto payload = TRY(open_sealed(identity, as_bytes(entry.sealed)));
    auto key = TRY(key_from_payload(payload, exported.id, entry.version));
    const auto same = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == entry.version; });
    if (same != keys.end()) {
      if (sodium_memcmp(same->second.data(), key.data(), key_size) != 0) {
        return fail(Errc::auth_failed, "key version {} of the export differs from the one this workspace holds for"
                                       " matter {}", entry.version, matter_label(held));
      }
      continue;
    }
    if (entry.version < held.newest_version()) {
      continue; // a version retired here: not brought back
    }
    added.emplace_back(entry.version, std::move(key));
  }
  std::sort(added.begin(), added.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const SecretBytes* kek = nullptr;
  if (held.passphrase) {
    if (!unlock.passphrase) {
      return fail(Errc::auth_failed, "matter {} has a passphrase: it is needed to wrap the imported keys",
                  matter_label(held));
    }
    kek = TRY(slot_kek(this, *m_store, held, unlock));
  }
  std::vector<PublicKey> recipients;
  for (const auto& text : held.recipients) {
    recipients.push_back(TRY(parse_public_key(text)));
  }
  std::vector<uint32_t> versions;
  const auto apply = [&]() -> Result<void> {
    TRY_VOID(check_unchanged(*m_store, held));
    for (auto& [version, key] : added) {
      const auto created = std::find_if(exported.keys.begin(), exported.keys.end(),
                                        [&](const ExportedKey& e) { return e.version == version; })->created;
      TRY_VOID(store_version(*m_store, held.id, version, created, key));
      TRY_VOID(store_wraps(*m_store, held.id, version, key, kek, recipients));
      versions.push_back(version);
      keys.emplace_back(version, std::move(key));
    }
    return seal_record(*m_store, held.id, keys);
  };
  TRY_VOID(m_store->write(apply));
  return versions;
}

Result<void> Keystore::retire(const Matter& matter, uint32_t version, const Unlock& unlock)
{
  TRY_VOID(check_read_write("retire a key version"));
  if (matter.shredded_at) {
    return fail(Errc::usage, "matter {} was shredded on {}", matter_label(matter), *matter.shredded_at);
  }
  if (std::none_of(matter.versions.begin(), matter.versions.end(),
                   [&](const KeyVersion& v) { return v.version == version; })) {
    const bool retired = std::any_of(matter.retired.begin(), matter.retired.end(),
                                     [&](const KeyVersion& v) { return v.version == version; });
    return fail(Errc::usage, "matter {} has no key version {}{}", matter_label(matter), version,
                retired ? " (it was retired already)" : "");
  }
  if (version == matter.newest_version()) {
    return fail_with_hint(Errc::usage, "`complycli matter rotate` first, then `complycli reencrypt` the files",
                          "key version {} is the one matter {} encrypts new files with: it cannot be retired",
                          version, matter_label(matter));
  }
  // Every version through the record check; the record is sealed again without the retired one.
  std::vector<std::pair<uint32_t, SecretBytes>> keys;
  for (const auto& existing : matter.versions) {
    auto key = TRY(unwrap(matter, existing.version, unlock));
    if (existing.version != version) {
      keys.emplace_back(existing.version, std::move(key));
    }
  }
  const auto apply = [&]() -> Result<void> {
    TRY_VOID(check_unchanged(*m_store, matter));
    TRY_VOID(m_store->delete_version(matter.id, version));
    TRY_VOID(m_store->insert_retired(matter.id, {version, util::now_rfc3339()}));
    return seal_record(*m_store, matter.id, keys);
  };
  TRY_VOID(m_store->write(apply));
  // As for shred: no page of the database or its WAL keeps the destroyed wraps.
  return m_store->scrub();
}

std::vector<WrapRecord> Keystore::wraps(const Matter& matter) const
{
  std::vector<WrapRecord> records;
  for (auto& row : m_store->wraps(matter.id).value_or(std::vector<store::WrapRow>{})) {
    records.push_back({row.version, std::move(row.kind), std::move(row.recipient), std::move(row.wrapped)});
  }
  return records;
}

} // namespace complycli::keystore
