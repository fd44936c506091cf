#include "keystore/keystore.hpp"

#include "util/env.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

// ---- SQLite helpers -------------------------------------------------------------------------------

// SQLite's message, with the operating system's reason when it has one: "disk I/O error" alone does
// not say that the disk is full or read-only.
std::string sqlite_message(sqlite3* db)
{
  std::string message = sqlite3_errmsg(db);
  const int primary = sqlite3_errcode(db) & 0xff;
  const int system = sqlite3_system_errno(db);
  if ((primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
       primary == SQLITE_READONLY) && system != 0) {
    const std::string reason = std::strerror(system);
    if (message.find(reason) == std::string::npos) {
      message += fmt::format(" ({})", reason);
    }
  }
  return message;
}

class Statement {
public:
  Statement(sqlite3* db, const char* sql) : m_db(db)
  {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) {
      m_error = sqlite3_errmsg(db);
    }
  }
  ~Statement() { sqlite3_finalize(m_stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::span<const uint8_t> blob)
  {
    sqlite3_bind_blob(m_stmt, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::string_view text)
  {
    sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, int64_t value)
  {
    sqlite3_bind_int64(m_stmt, index, value);
    return *this;
  }

  // Step once: true for a row, false when done; an error is Errc::io.
  Result<bool> step()
  {
    if (!m_error.empty()) {
      return fail(Errc::io, "keystore: {}", m_error);
    }
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    return fail(Errc::io, "keystore: {}", sqlite_message(m_db));
  }
  Result<void> run()
  {
    TRY(step());
    return {};
  }

  std::string text(int column) const
  {
    const auto* p = sqlite3_column_text(m_stmt, column);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }
  bool is_null(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
  int64_t integer(int column) const { return sqlite3_column_int64(m_stmt, column); }
  std::vector<uint8_t> blob(int column) const
  {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(m_stmt, column));
    return p == nullptr ? std::vector<uint8_t>{}
                        : std::vector<uint8_t>(p, p + sqlite3_column_bytes(m_stmt, column));
  }

private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  std::string m_error;
};

class Transaction {
public:
  explicit Transaction(sqlite3* db) : m_db(db) {}
  ~Transaction()
  {
    if (m_open) {
      sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  Result<void> begin()
  {
    if (sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(Errc::io, "keystore: cannot start a transaction: {}", sqlite_message(m_db));
    }
    m_open = true;
    return {};
  }
  Result<void> commit()
  {
    if (sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(Errc::io, "keystore: cannot commit: {}", sqlite_message(m_db));
    }
    m_open = false;
    return {};
  }

private:
  sqlite3* m_db;
  bool m_open = false;
};

const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS matters (
  id BLOB PRIMARY KEY CHECK (length(id) = 16),
  name TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  shredded_at TEXT
);
CREATE TABLE IF NOT EXISTS key_versions (
  matter_id BLOB NOT NULL REFERENCES matters(id),
  version INTEGER NOT NULL CHECK (version > 0),
  created TEXT NOT NULL,
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE IF NOT EXISTS passphrase_slots (
  matter_id BLOB PRIMARY KEY REFERENCES matters(id),
  salt BLOB NOT NULL,
  opslimit INTEGER NOT NULL,
  memlimit INTEGER NOT NULL,
  nonce BLOB NOT NULL,
  verifier BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS wraps (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('passphrase', 'recipient')),
  recipient TEXT NOT NULL DEFAULT '',
  wrapped BLOB NOT NULL,
  PRIMARY KEY (matter_id, version, kind, recipient),
  FOREIGN KEY (matter_id, version) REFERENCES key_versions(matter_id, version)
);
CREATE TABLE IF NOT EXISTS chain_wraps (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL CHECK (version > 1),
  wrapped BLOB NOT NULL,
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE IF NOT EXISTS records (
  matter_id BLOB PRIMARY KEY,
  mac BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS version_public_keys (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL,
  public_key BLOB NOT NULL CHECK (length(public_key) = 32),
  PRIMARY KEY (matter_id, version)
);
CREATE TABLE IF NOT EXISTS retired_versions (
  matter_id BLOB NOT NULL,
  version INTEGER NOT NULL,
  retired_at TEXT NOT NULL,
  PRIMARY KEY (matter_id, version)
);
)sql";

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

Keystore::Keystore(sqlite3* db, fs::path path) : m_db(db), m_path(std::move(path)) {}

Keystore::Keystore(Keystore&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)), m_read_only(other.m_read_only)
{
}

Keystore& Keystore::operator=(Keystore&& other) noexcept
{
  if (this != &other) {
    if (m_db != nullptr) {
      sqlite3_close(m_db);
    }
    m_db = std::exchange(other.m_db, nullptr);
    m_path = std::move(other.m_path);
    m_read_only = other.m_read_only;
  }
  return *this;
}

Keystore::~Keystore()
{
  auto& cache = kek_cache();
  std::erase_if(cache, [this](const auto& entry) { return entry.first.first == this; });
  if (m_db != nullptr) {
    sqlite3_close(m_db);
  }
}

Result<void> Keystore::exec(const char* sql) const
{
  char* message = nullptr;
  if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    const std::string text = sqlite_message(m_db);
    return fail(Errc::io, "keystore {}: {}", m_path.string(), text);
  }
  return {};
}

Result<void> Keystore::check_read_write(std::string_view what) const
{
  if (m_read_only) {
    return fail(Errc::internal, "cannot {}: the keystore {} was opened read-only", what, m_path.string());
  }
  return {};
}

Result<Keystore> Keystore::open(const fs::path& path, util::Access access)
{
  if (access == util::Access::read_only) {
    // A keystore that does not exist yet holds no matter: read an empty one from memory.
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    // In a folder that takes writes, a read-write connection that runs no writing statement
    // (query_only): unlike a SQLITE_OPEN_READONLY one, it removes the -wal and -shm files it made when it
    // closes, as every other keystore connection does (left behind, they would hold disk space: a full
    // disk would then free it only at the next write). Elsewhere, SQLite's read-only mode.
    const bool in_writable_folder =
        exists && util::folder_takes_writes(path.has_parent_path() ? path.parent_path() : fs::path("."));
    std::string uri = "file::memory:";
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
    if (in_writable_folder) {
      uri = path.string();
      flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
    } else if (exists) {
      uri = TRY(util::sqlite_read_only_uri(path));
      flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(uri.c_str(), &db, flags, nullptr) != SQLITE_OK) {
      std::string message = db != nullptr ? sqlite_message(db) : "out of memory";
      sqlite3_close(db);
      return fail(Errc::io, "cannot open the keystore {}: {}", path.string(), message);
    }
    Keystore store(db, path);
    sqlite3_busy_timeout(db, 5000);
    TRY_VOID(store.exec(in_writable_folder ? "PRAGMA foreign_keys = ON; PRAGMA query_only = ON;"
                                           : "PRAGMA foreign_keys = ON;"));
    if (exists) {
      Statement tables(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'matters'");
      auto row = tables.step();
      if (!row) {
        return std::unexpected(Error{
            Errc::io, fmt::format("cannot read the keystore {}: {}", path.string(), sqlite_message(db)),
            in_writable_folder ? std::string() : "if it reads in a copy, copy the workspace folder to a writable "
                                                 "place and run complycli there"});
      }
      if (*row && tables.integer(0) == 1) {
        store.m_read_only = true;
        return store;
      }
      // An empty file (a keystore that was never written): no matter.
      auto empty = TRY(Keystore::open(fs::path(), util::Access::read_only));
      empty.m_path = path;
      return empty;
    }
    TRY_VOID(store.exec(schema));
    store.m_read_only = true;
    return store;
  }
  // Create the file ourselves so that it (and SQLite's -wal and -shm files, which copy its mode) is 0600.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::io, "cannot open the keystore {}: {}", path.string(), std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite_message(db) : "out of memory";
    sqlite3_close(db);
    return fail(Errc::io, "cannot open the keystore {}: {}", path.string(), message);
  }
  Keystore store(db, path);
  sqlite3_busy_timeout(db, 5000);
  TRY_VOID(store.exec("PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"
                      " PRAGMA synchronous = FULL;"));
  TRY_VOID(store.exec(schema));
  return store;
}

namespace {

bool has_retired_table(sqlite3* db)
{
  Statement row(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'retired_versions'");
  return row.step().value_or(false) && row.integer(0) == 1;
}

// Key versions with their public keys (NULL for versions made before format 2, and in keystores
// that have no version_public_keys table yet, which read-only commands do not create).
const char* version_rows_sql(sqlite3* db)
{
  Statement row(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'version_public_keys'");
  if (row.step().value_or(false) && row.integer(0) == 1) {
    return "SELECT v.version, v.created, p.public_key FROM key_versions v LEFT JOIN version_public_keys p"
           " ON p.matter_id = v.matter_id AND p.version = v.version WHERE v.matter_id = ? ORDER BY v.version";
  }
  return "SELECT version, created, NULL FROM key_versions WHERE matter_id = ? ORDER BY version";
}

Result<Matter> load_matter(sqlite3* db, Statement& row)
{
  Matter matter;
  const auto id = row.blob(0);
  if (id.size() != matter.id.size()) {
    return fail(Errc::io, "keystore: a matter id has {} bytes", id.size());
  }
  std::copy(id.begin(), id.end(), matter.id.begin());
  matter.name = row.text(1);
  matter.created = row.text(2);
  if (!row.is_null(3)) {
    matter.shredded_at = row.text(3);
  }
  Statement versions(db, version_rows_sql(db));
  versions.bind(1, matter.id);
  while (TRY(versions.step())) {
    KeyVersion version{static_cast<uint32_t>(versions.integer(0)), versions.text(1), std::nullopt};
    if (!versions.is_null(2)) {
      const auto pk = versions.blob(2);
      if (pk.size() == crypto::x25519_key_size) {
        version.public_key.emplace();
        std::copy(pk.begin(), pk.end(), version.public_key->begin());
      }
    }
    matter.versions.push_back(std::move(version));
  }
  if (has_retired_table(db)) {
    Statement retired(db, "SELECT version, retired_at FROM retired_versions WHERE matter_id = ? ORDER BY version");
    retired.bind(1, matter.id);
    while (TRY(retired.step())) {
      matter.retired.push_back({static_cast<uint32_t>(retired.integer(0)), retired.text(1), std::nullopt});
    }
  }
  Statement slot(db, "SELECT opslimit, memlimit FROM passphrase_slots WHERE matter_id = ?");
  slot.bind(1, matter.id);
  if (TRY(slot.step())) {
    matter.passphrase = KdfParams{static_cast<uint64_t>(slot.integer(0)), static_cast<uint64_t>(slot.integer(1))};
  }
  Statement recipients(db, "SELECT DISTINCT recipient FROM wraps WHERE matter_id = ? AND kind = 'recipient'"
                           " ORDER BY recipient");
  recipients.bind(1, matter.id);
  while (TRY(recipients.step())) {
    // Stored in the legacy form (the row's name); shown in the Bech32 form.
    const auto stored = recipients.text(0);
    const auto key = parse_public_key(stored);
    matter.recipients.push_back(key ? encode_public_key(*key) : stored);
  }
  return matter;
}

} // namespace

std::vector<Matter> Keystore::list() const
{
  std::vector<Matter> matters;
  Statement rows(m_db, "SELECT id, name, created, shredded_at FROM matters ORDER BY name");
  while (rows.step().value_or(false)) {
    if (auto matter = load_matter(m_db, rows)) {
      matters.push_back(std::move(*matter));
    }
  }
  return matters;
}

Result<Matter> Keystore::find(const std::string& name) const
{
  Statement row(m_db, "SELECT id, name, created, shredded_at FROM matters WHERE name = ?");
  row.bind(1, name);
  if (!TRY(row.step())) {
    return fail_with_hint(Errc::usage, "`complycli matter list` shows the matters of this workspace",
                          "no matter called \"{}\"", name);
  }
  return load_matter(m_db, row);
}

std::optional<Matter> Keystore::find_by_id(const MatterId& id) const
{
  Statement row(m_db, "SELECT id, name, created, shredded_at FROM matters WHERE id = ?");
  row.bind(1, id);
  if (!row.step().value_or(false)) {
    return std::nullopt;
  }
  auto matter = load_matter(m_db, row);
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

Result<void> store_slot(sqlite3* db, const MatterId& id, const NewSlot& slot)
{
  Statement insert(db, "INSERT OR REPLACE INTO passphrase_slots (matter_id, salt, opslimit, memlimit, nonce, verifier)"
                       " VALUES (?, ?, ?, ?, ?, ?)");
  const std::span<const uint8_t> verifier = slot.verifier;
  insert.bind(1, id).bind(2, slot.salt).bind(3, static_cast<int64_t>(slot.kdf.opslimit));
  insert.bind(4, static_cast<int64_t>(slot.kdf.memlimit)).bind(5, verifier.first(xnonce_size)).bind(6, verifier);
  return insert.run();
}

Result<void> store_wrap(sqlite3* db, const MatterId& id, uint32_t version, std::string_view kind,
                        std::string_view recipient, std::span<const uint8_t> wrapped)
{
  Statement insert(db, "INSERT OR REPLACE INTO wraps (matter_id, version, kind, recipient, wrapped)"
                       " VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, id).bind(2, static_cast<int64_t>(version)).bind(3, kind).bind(4, recipient).bind(5, wrapped);
  return insert.run();
}

// A key version row and the public key of its X25519 pair (derived from `key`, the version secret).
Result<void> store_version(sqlite3* db, const MatterId& id, uint32_t version, std::string_view created,
                           const SecretBytes& key)
{
  Statement insert(db, "INSERT INTO key_versions (matter_id, version, created) VALUES (?, ?, ?)");
  insert.bind(1, id).bind(2, static_cast<int64_t>(version)).bind(3, created);
  TRY_VOID(insert.run());
  const auto secret_key = TRY(crypto::version_secret_key(key));
  const auto public_key = TRY(crypto::x25519_public_key(secret_key));
  Statement pk(db, "INSERT OR REPLACE INTO version_public_keys (matter_id, version, public_key) VALUES (?, ?, ?)");
  pk.bind(1, id).bind(2, static_cast<int64_t>(version)).bind(3, public_key);
  return pk.run();
}

// Wrap `key` every way: with `kek` (if any) and to each recipient.
Result<void> store_wraps(sqlite3* db, const MatterId& id, uint32_t version, const SecretBytes& key,
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

bool has_table(sqlite3* db, const char* name)
{
  Statement row(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
  row.bind(1, std::string_view(name));
  return row.step().value_or(false) && row.integer(0) == 1;
}

// The stored record MAC, if the matter has one (matters from before authenticated records have none).
Result<std::optional<std::vector<uint8_t>>> stored_mac(sqlite3* db, const MatterId& id)
{
  if (!has_table(db, "records")) {
    return std::nullopt;
  }
  Statement row(db, "SELECT mac FROM records WHERE matter_id = ?");
  row.bind(1, id);
  if (!TRY(row.step())) {
    return std::nullopt;
  }
  return row.blob(0);
}

// The canonical bytes of everything stored about a matter, as the MAC sees them.
Result<std::string> record_bytes(sqlite3* db, const MatterId& id)
{
  nlohmann::ordered_json record;
  Statement matter(db, "SELECT name, created, shredded_at FROM matters WHERE id = ?");
  matter.bind(1, id);
  if (!TRY(matter.step())) {
    return fail(Errc::internal, "no matter with id {}", util::to_hex(id));
  }
  record["id"] = util::to_hex(id);
  record["name"] = matter.text(0);
  record["created"] = matter.text(1);
  record["shredded_at"] = matter.is_null(2) ? nlohmann::ordered_json() : nlohmann::ordered_json(matter.text(2));
  auto& versions = record["versions"] = nlohmann::ordered_json::array();
  Statement version_rows(db, version_rows_sql(db));
  version_rows.bind(1, id);
  while (TRY(version_rows.step())) {
    if (version_rows.is_null(2)) { // a version from before format 2: [version, created], as records sealed then
      versions.push_back({version_rows.integer(0), version_rows.text(1)});
    } else {
      versions.push_back({version_rows.integer(0), version_rows.text(1), util::to_hex(version_rows.blob(2))});
    }
  }
  Statement slot(db, "SELECT salt, opslimit, memlimit, nonce, verifier FROM passphrase_slots WHERE matter_id = ?");
  slot.bind(1, id);
  record["slot"] = nullptr;
  if (TRY(slot.step())) {
    record["slot"] = {util::to_hex(slot.blob(0)), slot.integer(1), slot.integer(2), util::to_hex(slot.blob(3)),
                      util::to_hex(slot.blob(4))};
  }
  auto& wraps = record["wraps"] = nlohmann::ordered_json::array();
  Statement wrap_rows(db, "SELECT version, kind, recipient, wrapped FROM wraps WHERE matter_id = ?"
                          " ORDER BY version, kind, recipient");
  wrap_rows.bind(1, id);
  while (TRY(wrap_rows.step())) {
    wraps.push_back({wrap_rows.integer(0), wrap_rows.text(1), wrap_rows.text(2), util::to_hex(wrap_rows.blob(3))});
  }
  auto& chain = record["chain"] = nlohmann::ordered_json::array();
  Statement chain_rows(db, "SELECT version, wrapped FROM chain_wraps WHERE matter_id = ? ORDER BY version");
  chain_rows.bind(1, id);
  while (TRY(chain_rows.step())) {
    chain.push_back({chain_rows.integer(0), util::to_hex(chain_rows.blob(1))});
  }
  if (has_table(db, "retired_versions")) {
    Statement retired_rows(db, "SELECT version, retired_at FROM retired_versions WHERE matter_id = ? ORDER BY version");
    retired_rows.bind(1, id);
    nlohmann::ordered_json retired = nlohmann::ordered_json::array();
    while (TRY(retired_rows.step())) {
      retired.push_back({retired_rows.integer(0), retired_rows.text(1)});
    }
    if (!retired.empty()) { // absent otherwise, so records sealed before retirement existed still match
      record["retired"] = retired;
    }
  }
  return std::string(record_label) + "\n" + record.dump();
}

Result<SecretBytes> record_key(const SecretBytes& oldest_key)
{
  auto key = TRY(SecretBytes::allocate(crypto_auth_hmacsha256_KEYBYTES));
  crypto_kdf_derive_from_key(key.data(), key.size(), 1, record_kdf_context, oldest_key.data());
  return key;
}

std::unexpected<Error> record_modified(const Matter& matter)
{
  return fail_with_hint(Errc::auth_failed,
                        "someone who could write the workspace changed it: restore .complycli/keystore.db from a "
                        "backup",
                        "keystore record of matter {} was modified", matter.name);
}

Result<bool> record_mac_matches(sqlite3* db, const MatterId& id, const SecretBytes& oldest_key,
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
Result<void> seal_record(sqlite3* db, const MatterId& id, const std::vector<std::pair<uint32_t, SecretBytes>>& keys)
{
  if (keys.empty()) {
    return fail(Errc::internal, "a matter record with no key version");
  }
  Statement drop(db, "DELETE FROM chain_wraps WHERE matter_id = ?");
  drop.bind(1, id);
  TRY_VOID(drop.run());
  for (std::size_t i = 1; i < keys.size(); ++i) {
    const auto& [version, key] = keys[i];
    Statement insert(db, "INSERT INTO chain_wraps (matter_id, version, wrapped) VALUES (?, ?, ?)");
    insert.bind(1, id).bind(2, static_cast<int64_t>(version))
        .bind(3, aead_wrap(keys[i - 1].second, key.view(), chain_ad(id, version)));
    TRY_VOID(insert.run());
  }
  const auto bytes = TRY(record_bytes(db, id));
  const auto key = TRY(record_key(keys.front().second));
  std::vector<uint8_t> mac(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), key.data());
  Statement insert(db, "INSERT OR REPLACE INTO records (matter_id, mac) VALUES (?, ?)");
  insert.bind(1, id).bind(2, mac);
  return insert.run();
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
  Transaction tx(m_db);
  TRY_VOID(tx.begin());
  Statement insert(m_db, "INSERT INTO matters (id, name, created) VALUES (?, ?, ?)");
  insert.bind(1, id).bind(2, name).bind(3, now);
  TRY_VOID(insert.run());
  TRY_VOID(store_version(m_db, id, 1, now, key));
  if (slot) {
    TRY_VOID(store_slot(m_db, id, *slot));
  }
  TRY_VOID(store_wraps(m_db, id, 1, key, slot ? &slot->kek : nullptr, recipients));
  std::vector<std::pair<uint32_t, SecretBytes>> keys;
  keys.emplace_back(1, TRY(SecretBytes::copy_of(key.view())));
  TRY_VOID(seal_record(m_db, id, keys));
  TRY_VOID(tx.commit());
  if (slot) {
    kek_cache().insert_or_assign({this, id}, std::move(slot->kek));
  }
  return find(name);
}

namespace {

// The passphrase-derived key of a matter's slot, checked against the slot's verifier.
Result<const SecretBytes*> slot_kek(const void* owner, sqlite3* db, const Matter& matter, const Unlock& unlock)
{
  auto& cache = kek_cache();
  if (auto it = cache.find({owner, matter.id}); it != cache.end()) {
    return &it->second;
  }
  Statement slot(db, "SELECT salt, opslimit, memlimit, verifier FROM passphrase_slots WHERE matter_id = ?");
  slot.bind(1, matter.id);
  if (!TRY(slot.step())) {
    return fail(Errc::internal, "matter {} has no passphrase slot", matter_label(matter));
  }
  const KdfParams kdf{static_cast<uint64_t>(slot.integer(1)), static_cast<uint64_t>(slot.integer(2))};
  if (auto costs = check_kdf_costs(kdf); !costs) {
    return fail(Errc::auth_failed, "the passphrase slot of matter {} has {}", matter_label(matter),
                costs.error().message);
  }
  const auto passphrase = TRY(unlock.passphrase());
  auto kek = TRY(derive_kek(passphrase, slot.blob(0), kdf));
  const auto verifier = slot.blob(3);
  auto check = aead_unwrap(kek, verifier, verifier_ad(matter.id));
  if (!check || check->size() != verifier_label.size() ||
      std::memcmp(check->data(), verifier_label.data(), verifier_label.size()) != 0) {
    return fail_with_hint(Errc::auth_failed, "check COMPLYCLI_PASSPHRASE or --passphrase-file",
                          "wrong passphrase for matter {}", matter_label(matter));
  }
  auto [it, inserted] = cache.insert_or_assign({owner, matter.id}, std::move(kek));
  return &it->second;
}

} // namespace

Result<SecretBytes> Keystore::unwrap(const Matter& matter, uint32_t version, const Unlock& unlock) const
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
  const auto mac = TRY(stored_mac(m_db, matter.id));
  if (!mac) {
    return unwrap_stored(matter, version, unlock); // a matter from before authenticated records
  }
  // The oldest version through its own wraps; the record MAC under it; then the chain up to `version`.
  const uint32_t oldest = matter.versions.front().version;
  auto key = TRY(unwrap_stored(matter, oldest, unlock));
  if (!TRY(record_mac_matches(m_db, matter.id, key, *mac))) {
    return record_modified(matter);
  }
  for (const auto& step : matter.versions) {
    if (step.version <= oldest || step.version > version) {
      continue;
    }
    Statement chain(m_db, "SELECT wrapped FROM chain_wraps WHERE matter_id = ? AND version = ?");
    chain.bind(1, matter.id).bind(2, static_cast<int64_t>(step.version));
    if (!TRY(chain.step())) {
      return record_modified(matter);
    }
    auto next = aead_unwrap(key, chain.blob(0), chain_ad(matter.id, step.version));
    if (!next) {
      return record_modified(matter);
    }
    key = std::move(*next);
  }
  return key;
}

Result<SecretBytes> Keystore::unwrap_stored(const Matter& matter, uint32_t version, const Unlock& unlock) const
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
  std::vector<std::string> offered;
  for (const Identity* identity : unlock.identities) {
    const auto recipient = stored_public_key(identity->public_key);
    offered.push_back(encode_public_key(identity->public_key));
    Statement wrap(m_db, "SELECT wrapped FROM wraps WHERE matter_id = ? AND version = ? AND kind = 'recipient'"
                         " AND recipient = ?");
    wrap.bind(1, matter.id).bind(2, static_cast<int64_t>(version)).bind(3, recipient);
    if (!TRY(wrap.step())) {
      continue;
    }
    const auto payload = TRY(open_sealed(*identity, wrap.blob(0)));
    return key_from_payload(payload, matter.id, version);
  }
  if (matter.passphrase && unlock.passphrase) {
    const SecretBytes* kek = TRY(slot_kek(this, m_db, matter, unlock));
    Statement wrap(m_db, "SELECT wrapped FROM wraps WHERE matter_id = ? AND version = ? AND kind = 'passphrase'");
    wrap.bind(1, matter.id).bind(2, static_cast<int64_t>(version));
    if (!TRY(wrap.step())) {
      return fail(Errc::auth_failed, "key version {} of matter {} has no passphrase wrap", version,
                  matter_label(matter));
    }
    auto key = aead_unwrap(*kek, wrap.blob(0), wrap_ad(matter.id, version));
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
    kek = TRY(slot_kek(this, m_db, matter, unlock));
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
  Transaction tx(m_db);
  TRY_VOID(tx.begin());
  TRY_VOID(store_version(m_db, matter.id, version, util::now_rfc3339(), key));
  TRY_VOID(store_wraps(m_db, matter.id, version, key, kek, recipients));
  keys.emplace_back(version, TRY(SecretBytes::copy_of(key.view())));
  TRY_VOID(seal_record(m_db, matter.id, keys));
  TRY_VOID(tx.commit());
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
      kept_kek = TRY(slot_kek(this, m_db, matter, unlock));
    }
    for (const auto& text : recipients) {
      remaining.push_back(TRY(parse_public_key(text)));
    }
  }

  Transaction tx(m_db);
  TRY_VOID(tx.begin());
  if (slot || change.remove_passphrase) {
    Statement drop(m_db, "DELETE FROM wraps WHERE matter_id = ? AND kind = 'passphrase'");
    drop.bind(1, matter.id);
    TRY_VOID(drop.run());
    Statement drop_slot(m_db, "DELETE FROM passphrase_slots WHERE matter_id = ?");
    drop_slot.bind(1, matter.id);
    TRY_VOID(drop_slot.run());
  }
  if (slot) {
    TRY_VOID(store_slot(m_db, matter.id, *slot));
  }
  for (const auto& key : change.remove_recipients) {
    Statement drop(m_db, "DELETE FROM wraps WHERE matter_id = ? AND kind = 'recipient' AND recipient = ?");
    drop.bind(1, matter.id).bind(2, stored_public_key(key));
    TRY_VOID(drop.run());
  }
  for (const auto& [version, key] : keys) {
    TRY_VOID(store_wraps(m_db, matter.id, version, key, slot ? &slot->kek : nullptr, added));
  }
  if (revoke) {
    // Revocation: a new key version, wrapped only the ways that remain, for new files.
    const uint32_t version = matter.newest_version() + 1;
    auto key = TRY(SecretBytes::random(key_size));
    TRY_VOID(store_version(m_db, matter.id, version, util::now_rfc3339(), key));
    TRY_VOID(store_wraps(m_db, matter.id, version, key, slot ? &slot->kek : kept_kek, remaining));
    keys.emplace_back(version, std::move(key));
  }
  TRY_VOID(seal_record(m_db, matter.id, keys));
  TRY_VOID(tx.commit());
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
  {
    Transaction tx(m_db);
    TRY_VOID(tx.begin());
    for (const char* sql : {"DELETE FROM wraps WHERE matter_id = ?", "DELETE FROM passphrase_slots WHERE matter_id = ?",
                            "DELETE FROM key_versions WHERE matter_id = ?", "DELETE FROM chain_wraps WHERE matter_id = ?",
                            "DELETE FROM records WHERE matter_id = ?",
                            "DELETE FROM version_public_keys WHERE matter_id = ?"}) {
      Statement drop(m_db, sql);
      drop.bind(1, matter.id);
      TRY_VOID(drop.run());
    }
    Statement mark(m_db, "UPDATE matters SET shredded_at = ? WHERE id = ?");
    mark.bind(1, util::now_rfc3339()).bind(2, matter.id);
    TRY_VOID(mark.run());
    TRY_VOID(tx.commit());
  }
  // secure_delete zeroed the freed cells in the pages written to the WAL; move those pages into the
  // database file, empty the WAL, and rebuild the file so no free page keeps old bytes.
  TRY_VOID(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  TRY_VOID(exec("VACUUM"));
  TRY_VOID(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return {};
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
  Transaction tx(m_db);
  TRY_VOID(tx.begin());
  Statement insert(m_db, "INSERT INTO matters (id, name, created) VALUES (?, ?, ?)");
  insert.bind(1, exported.id).bind(2, exported.name).bind(3, exported.created);
  TRY_VOID(insert.run());
  if (slot) {
    TRY_VOID(store_slot(m_db, exported.id, *slot));
  }
  for (const auto& [entry, key] : keys) {
    TRY_VOID(store_version(m_db, exported.id, entry->version, entry->created, key));
    TRY_VOID(store_wraps(m_db, exported.id, entry->version, key, slot ? &slot->kek : nullptr,
                         {identity.public_key}));
  }
  std::vector<std::pair<uint32_t, SecretBytes>> sealed;
  for (const auto& [entry, key] : keys) {
    sealed.emplace_back(entry->version, TRY(SecretBytes::copy_of(key.view())));
  }
  std::sort(sealed.begin(), sealed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  TRY_VOID(seal_record(m_db, exported.id, sealed));
  TRY_VOID(tx.commit());
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
    kek = TRY(slot_kek(this, m_db, held, unlock));
  }
  std::vector<PublicKey> recipients;
  for (const auto& text : held.recipients) {
    recipients.push_back(TRY(parse_public_key(text)));
  }
  std::vector<uint32_t> versions;
  Transaction tx(m_db);
  TRY_VOID(tx.begin());
  for (auto& [version, key] : added) {
    const auto created = std::find_if(exported.keys.begin(), exported.keys.end(),
                                      [&](const ExportedKey& e) { return e.version == version; })->created;
    TRY_VOID(store_version(m_db, held.id, version, created, key));
    TRY_VOID(store_wraps(m_db, held.id, version, key, kek, recipients));
    versions.push_back(version);
    keys.emplace_back(version, std::move(key));
  }
  TRY_VOID(seal_record(m_db, held.id, keys));
  TRY_VOID(tx.commit());
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
  {
    Transaction tx(m_db);
    TRY_VOID(tx.begin());
    for (const char* sql : {"DELETE FROM wraps WHERE matter_id = ? AND version = ?",
                            "DELETE FROM chain_wraps WHERE matter_id = ? AND version = ?",
                            "DELETE FROM key_versions WHERE matter_id = ? AND version = ?",
                            "DELETE FROM version_public_keys WHERE matter_id = ? AND version = ?"}) {
      Statement drop(m_db, sql);
      drop.bind(1, matter.id).bind(2, static_cast<int64_t>(version));
      TRY_VOID(drop.run());
    }
    Statement mark(m_db, "INSERT INTO retired_versions (matter_id, version, retired_at) VALUES (?, ?, ?)");
    mark.bind(1, matter.id).bind(2, static_cast<int64_t>(version)).bind(3, util::now_rfc3339());
    TRY_VOID(mark.run());
    TRY_VOID(seal_record(m_db, matter.id, keys));
    TRY_VOID(tx.commit());
  }
  // As for shred: no page of the database or its WAL keeps the destroyed wraps.
  TRY_VOID(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  TRY_VOID(exec("VACUUM"));
  TRY_VOID(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return {};
}

std::vector<WrapRecord> Keystore::wraps(const Matter& matter) const
{
  std::vector<WrapRecord> records;
  Statement rows(m_db, "SELECT version, kind, recipient, wrapped FROM wraps WHERE matter_id = ?"
                       " ORDER BY version, kind, recipient");
  rows.bind(1, matter.id);
  while (rows.step().value_or(false)) {
    records.push_back({static_cast<uint32_t>(rows.integer(0)), rows.text(1), rows.text(2), rows.blob(3)});
  }
  return records;
}

} // namespace complycli::keystore
