#pragma once

// The keystore's storage (docs/postgresql.md, "The keystore"): a narrow interface that does the SQL for
// lib/keystore, with a SQLite backend (store/sqlite_keys.hpp, .complycli/keystore.db) and a PostgreSQL
// backend (store/postgres_keys.hpp, the schema `complycli` a team shares). The rows hold only wrapped
// keys, salts and MACs: lib/keystore does every wrap, unwrap and record MAC, and the stores know
// nothing of keys.

#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace complycli::store {

using Bytes = std::vector<uint8_t>;

struct MatterRow {
  Bytes id; // 16 bytes
  std::string name;
  std::string created;
  std::optional<std::string> shredded_at;
};

// A key version with the public key of its X25519 pair (none for versions from before format 2).
struct VersionRow {
  uint32_t version = 0;
  std::string created;
  std::optional<Bytes> public_key;
};

struct SlotRow {
  Bytes salt;
  int64_t opslimit = 0;
  int64_t memlimit = 0;
  Bytes nonce;
  Bytes verifier;
};

struct WrapRow {
  uint32_t version = 0;
  std::string kind;      // "passphrase" or "recipient"
  std::string recipient; // empty for the passphrase wrap
  Bytes wrapped;
};

struct ChainRow {
  uint32_t version = 0;
  Bytes wrapped;
};

struct RetiredRow {
  uint32_t version = 0;
  std::string retired_at;
};

// Every row of one matter, as `copy_keystore` moves them.
struct MatterRows {
  MatterRow matter;
  std::vector<VersionRow> versions;
  std::optional<SlotRow> slot;
  std::vector<WrapRow> wraps;
  std::vector<ChainRow> chain;
  std::optional<Bytes> record_mac;
  std::vector<RetiredRow> retired;
};

class KeyStore {
public:
  virtual ~KeyStore() = default;

  // The file or the URL (without a password), for messages.
  virtual std::string name() const = 0;
  virtual bool read_only() const = 0;

  // Run `body` in one write transaction that no other writer (any process, any machine) interleaves
  // with; committed when `body` succeeds, rolled back when it fails.
  virtual Result<void> write(const std::function<Result<void>()> &body) = 0;
  // Run `body` on one consistent snapshot of every table (inside `write`, `body` just runs).
  virtual Result<void> read(const std::function<Result<void>()> &body) = 0;

  // Reads. Lists come in key order (versions, chain and retired by version; wraps by version, kind,
  // recipient as bytes); a matter is looked up by name or by id, and `matters` is ordered by name.
  virtual Result<std::vector<MatterRow>> matters() = 0;
  virtual Result<std::optional<MatterRow>> matter_by_name(const std::string &name) = 0;
  virtual Result<std::optional<MatterRow>> matter_by_id(std::span<const uint8_t> id) = 0;
  virtual Result<std::vector<VersionRow>> versions(std::span<const uint8_t> id) = 0;
  virtual Result<std::optional<SlotRow>> slot(std::span<const uint8_t> id) = 0;
  virtual Result<std::vector<WrapRow>> wraps(std::span<const uint8_t> id) = 0;
  virtual Result<std::vector<ChainRow>> chain_wraps(std::span<const uint8_t> id) = 0;
  // None for a matter from before authenticated records.
  virtual Result<std::optional<Bytes>> record_mac(std::span<const uint8_t> id) = 0;
  virtual Result<std::vector<RetiredRow>> retired(std::span<const uint8_t> id) = 0;

  // Writes, inside `write`.
  virtual Result<void> insert_matter(const MatterRow &row) = 0;
  virtual Result<void> set_shredded(std::span<const uint8_t> id, const std::string &when) = 0;
  virtual Result<void> insert_version(std::span<const uint8_t> id, const VersionRow &row) = 0;
  virtual Result<void> put_slot(std::span<const uint8_t> id, const SlotRow &row) = 0; // insert or replace
  virtual Result<void> delete_slot(std::span<const uint8_t> id) = 0;
  virtual Result<void> put_wrap(std::span<const uint8_t> id, const WrapRow &row) = 0; // insert or replace
  // Delete the matter's wraps of `kind` (every kind when empty), only those to `recipient` if given.
  virtual Result<void> delete_wraps(std::span<const uint8_t> id, std::string_view kind,
                                    const std::optional<std::string> &recipient = std::nullopt) = 0;
  // Replace every chain wrap of the matter with `rows`.
  virtual Result<void> replace_chain(std::span<const uint8_t> id, const std::vector<ChainRow> &rows) = 0;
  virtual Result<void> put_record_mac(std::span<const uint8_t> id, std::span<const uint8_t> mac) = 0;
  // Delete a key version with its wraps, chain wrap and public key.
  virtual Result<void> delete_version(std::span<const uint8_t> id, uint32_t version) = 0;
  virtual Result<void> insert_retired(std::span<const uint8_t> id, const RetiredRow &row) = 0;
  // Delete every key version, wrap, slot, chain wrap, public key and record of the matter.
  virtual Result<void> delete_keys(std::span<const uint8_t> id) = 0;

  // After a commit that deleted keys (shred, retire): make the deleted bytes unreadable where the store
  // can (SQLite: WAL checkpoint and VACUUM). A no-op where it cannot (docs/postgresql.md).
  virtual Result<void> scrub() = 0;
};

// Every row of every matter of `from`, by name.
Result<std::vector<MatterRows>> dump_keystore(KeyStore &from);

// Copy every row of `from` into `to` in one transaction of `to` (`store migrate`). Refuses (Errc::usage)
// a target that holds any matter. The rows are copied as they are: record MACs stay valid because the
// rows they cover are the same bytes.
Result<void> copy_keystore(KeyStore &from, KeyStore &to);

} // namespace complycli::store
