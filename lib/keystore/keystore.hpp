#pragma once

// The workspace keystore (.complycli/keystore.db, SQLite, mode 0600; or the tables of a PostgreSQL store,
// docs/postgresql.md, through the same store::KeyStore interface): matters, their data keys (one
// per key version, 32 random bytes) stored only wrapped, and the wraps that unlock them:
//   - a passphrase slot per matter: Argon2id (crypto_pwhash; salt and limits stored) derives a key that
//     wraps each key version with XChaCha20-Poly1305 (associated data: matter id and key version) and
//     seals a verifier, so a wrong passphrase is told apart from a damaged wrap;
//   - X25519 recipients: each key version sealed (crypto_box_seal) to the recipient's public key,
//     together with the matter id and key version it belongs to.
// Any one wrap unlocks a key version. Shredding deletes every key version and wrap (SQLite: with
// secure_delete, truncates the WAL and vacuums); the matter's name, id and shred time stay as a tombstone.
// This module does every wrap and the record MAC; lib/store only stores rows (store/key_store.hpp).

#include "core/error.hpp"
#include "crypto/matter_file.hpp"
#include "crypto/matter_v2.hpp"
#include "crypto/secret.hpp"
#include "keystore/identity.hpp"
#include "util/sqlite_read_only.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace complycli::store {
class KeyStore;
}

namespace complycli::keystore {

using MatterId = std::array<uint8_t, crypto::matter_id_size>;

// Argon2id cost. Stored with each passphrase slot; unwrapping always uses the stored values.
struct KdfParams {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0; // bytes
};

// The cost for new passphrase slots: libsodium's MODERATE limits, unless COMPLYCLI_KDF_PROFILE names
// `interactive` (for tests only: weaker, needs COMPLYCLI_TEST_WEAK_KDF=1), `moderate` or `sensitive`.
// Errc::usage for other values.
// The profile must pass check_kdf_costs.
Result<KdfParams> kdf_params_for_new_slots();
// Argon2id costs are at most libsodium's SENSITIVE limits (a cap against a keystore that would make
// every unlock take minutes or gigabytes) and at least its MODERATE ones (a floor against slots that
// can be brute-forced), unless COMPLYCLI_TEST_WEAK_KDF=1 (tests only). Checked for new slots and for
// the costs stored with a slot before they are used. Errc::usage otherwise.
Result<void> check_kdf_costs(const KdfParams& kdf);
KdfParams kdf_params(std::string_view profile_name); // "interactive", "moderate" or "sensitive"

struct KeyVersion {
  uint32_t version = 0;
  std::string created;
  // The public key of the version's X25519 pair (format 2 files are encrypted to it with no secret);
  // nullopt for versions made before format 2, whose files stay format 1.
  std::optional<crypto::X25519Public> public_key;
};

struct Matter {
  MatterId id{};
  std::string name;
  std::string created;
  std::optional<std::string> shredded_at; // set once the keys are destroyed (a tombstone)
  std::vector<KeyVersion> versions;       // oldest first; empty after shred; retired ones not listed
  std::vector<KeyVersion> retired;        // versions destroyed by `matter retire` (created = retired at)
  std::optional<KdfParams> passphrase;    // the passphrase slot's cost, if there is a passphrase slot
  std::vector<std::string> recipients;    // public keys (complycli1...) every version is sealed to

  uint32_t newest_version() const { return versions.empty() ? 0 : versions.back().version; }
  // The newest version's public key, if it has one (then `encrypt` writes format 2 and needs no secret).
  std::optional<crypto::X25519Public> newest_public_key() const
  {
    return versions.empty() ? std::nullopt : versions.back().public_key;
  }
  std::string id_hex() const;
};

// How to unlock key versions: identities to try first, then the passphrase, asked for only if needed.
struct Unlock {
  std::vector<const Identity*> identities;
  std::function<Result<crypto::SecretBytes>()> passphrase; // may be empty: no passphrase available
};

// One stored wrap, as in the database (for `matter show` and for tests).
struct WrapRecord {
  uint32_t version = 0;
  std::string kind;      // "passphrase" or "recipient"
  std::string recipient; // public key for recipient wraps
  std::vector<uint8_t> wrapped;
};

// Changes for `rewrap`; applied together, after every key version has been unlocked.
struct Rewrap {
  const crypto::SecretBytes* new_passphrase = nullptr; // set or replace the passphrase slot
  bool remove_passphrase = false;
  std::vector<PublicKey> add_recipients;
  std::vector<PublicKey> remove_recipients;
};

// A matter's keys sealed to another workspace's identity (`matter export` / `matter import`).
struct ExportedKey {
  uint32_t version = 0;
  std::string created;
  std::string sealed; // crypto_box_seal(matter id || version (u32 big-endian) || key)
};
struct MatterExport {
  MatterId id{};
  std::string name;
  std::string created;
  PublicKey recipient{};
  std::vector<ExportedKey> keys;
};

// The export file text (JSON) and its parser.
std::string export_to_json(const MatterExport& exported);
Result<MatterExport> export_from_json(std::string_view text, std::string_view file_name);

class Keystore {
public:
  // Open (creating, mode 0600, if missing) the keystore at `path`. With util::Access::read_only (commands
  // that only read): create nothing and run no statement that writes; in a folder that takes no writes,
  // write no file at all (see util::sqlite_read_only_uri). A missing or empty keystore is then an empty
  // one held in memory. The methods that change the keystore fail on a read-only one.
  static Result<Keystore> open(const std::filesystem::path& path, util::Access access = util::Access::read_write);
  // A keystore on any store (store::SqliteKeyStore, store::PostgresKeyStore).
  static Result<Keystore> open(std::unique_ptr<store::KeyStore> store);

  Keystore(Keystore&&) noexcept;
  Keystore& operator=(Keystore&&) noexcept;
  ~Keystore();

  // A new matter with key version 1, wrapped with `passphrase` (if not null) and to each recipient.
  // At least one of them is required (Errc::usage). Errc::usage if the name is taken or malformed.
  Result<Matter> create_matter(const std::string& name, const crypto::SecretBytes* passphrase,
                               const std::vector<PublicKey>& recipients, const KdfParams& kdf);

  std::vector<Matter> list() const;
  // Errc::usage if there is no matter called `name`.
  Result<Matter> find(const std::string& name) const;
  std::optional<Matter> find_by_id(const MatterId& id) const;

  // The data key of `version`. Errc::auth_failed for a wrong passphrase, a shredded matter (the
  // message says when), a missing version, or when no offered identity or passphrase opens a wrap.
  // For a matter with an authenticated record: the oldest version is unwrapped, the record's MAC
  // checked under it, and `version` reached through the chain wraps; any mismatch is Errc::auth_failed
  // "keystore record of matter M was modified".
  Result<crypto::SecretBytes> unwrap(const Matter& matter, uint32_t version, const Unlock& unlock) const;

  // Add a key version wrapped like the newest one and chained to it. Every version is unlocked (and the
  // record checked) first, so the passphrase or a recipient's identity is needed.
  Result<uint32_t> rotate(const Matter& matter, const Unlock& unlock);

  // Change the unlock paths without touching any encrypted file. Refuses (Errc::usage) to leave no path.
  // Removing a recipient or the passphrase also rotates the matter (revocation): a new key version,
  // wrapped only the ways that remain, encrypts new files; older versions still decrypt until retired.
  Result<void> rewrap(const Matter& matter, const Unlock& unlock, const Rewrap& change);

  // Destroy key version `version` (its wraps and its chain wrap; secure_delete, WAL truncated, VACUUM),
  // keeping a "retired" row. The newest version cannot be retired (Errc::usage). Every version is
  // unlocked first and the record sealed again under the oldest version that remains.
  Result<void> retire(const Matter& matter, uint32_t version, const Unlock& unlock);

  // Destroy every key version and wrap of the matter, keeping a tombstone.
  Result<void> shred(const Matter& matter);

  // Seal every key version to `to` (unlocking them with `unlock`).
  Result<MatterExport> export_matter(const Matter& matter, const Unlock& unlock, const PublicKey& to) const;

  // Create the exported matter here: keys opened with `identity`, then wrapped with `passphrase` (if
  // not null) and always to `identity`'s public key. Errc::usage if the id or name already exists.
  Result<Matter> import_matter(const MatterExport& exported, const Identity& identity,
                               const crypto::SecretBytes* passphrase, const KdfParams& kdf);

  // Bring `held` (the same matter, imported before) up to date from a newer export: the key versions
  // it lacks are added, wrapped like its newest one (passphrase and recipients) and chained. Every
  // held version is unlocked with `unlock` (which checks the record) and must equal the export's.
  // Errc::auth_failed for a rolled-back export (its newest version older than the newest held) or
  // keys that differ; Errc::usage when the export adds nothing. Returns the versions added.
  Result<std::vector<uint32_t>> import_newer_versions(const Matter& held, const MatterExport& exported,
                                                      const Identity& identity, const Unlock& unlock);

  // Every wrap of a matter as stored (tests use it to check that shred leaves nothing behind).
  std::vector<WrapRecord> wraps(const Matter& matter) const;

  // The rows underneath (`store migrate` copies them with store::copy_keystore).
  store::KeyStore& store() const { return *m_store; }

private:
  explicit Keystore(std::unique_ptr<store::KeyStore> store);
  // `version`'s key through its own wraps, without checking the record.
  Result<crypto::SecretBytes> unwrap_stored(const Matter& matter, uint32_t version, const Unlock& unlock) const;
  // Errc::internal for a change to a keystore opened read-only.
  Result<void> check_read_write(std::string_view what) const;

  std::unique_ptr<store::KeyStore> m_store;
};

} // namespace complycli::keystore
