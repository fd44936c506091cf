// Authenticated keystore records: rows added or dropped by someone who can write the keystore file but
// cannot unlock the matter are found before any key is used or sealed.
#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"

#include "keystore_helpers.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <string>
#include <vector>

using namespace complycli;
using crypto::SecretBytes;

using test::secret;
using test::with_passphrase;
using test::with_identity;

namespace {

const keystore::KdfParams fast = keystore::kdf_params("interactive");

// Run `sql` on the keystore file with `id` bound to every `?1` and `blob` to `?2`, as an attacker would.
void tamper(const std::filesystem::path& db_path, const char* sql, const keystore::MatterId& id,
            const std::vector<uint8_t>& blob = {}, const std::string& text = {})
{
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_blob(stmt, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(stmt, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 3, text.c_str(), -1, SQLITE_TRANSIENT);
  CHECK(sqlite3_step(stmt) == SQLITE_DONE);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

void check_modified(const Result<SecretBytes>& result, const std::string& name)
{
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::auth_failed);
  CHECK(result.error().message == "keystore record of matter " + name + " was modified");
}

} // namespace

TEST_CASE("keystore record: an injected recipient row is found before rotate seals to it")
{
  test::TestContext t;
  const auto path = t.path("keystore.db");
  const auto mallory = keystore::generate_identity().value();
  {
    auto store = keystore::Keystore::open(path).value();
    const auto pw = secret("pw");
    REQUIRE(store.create_matter("acme", &pw, {}, fast));
  }
  keystore::MatterId id{};
  {
    auto store = keystore::Keystore::open(path).value();
    id = store.find("acme")->id;
  }
  std::vector<uint8_t> junk(80, 0x42);
  tamper(path, "INSERT INTO wraps (matter_id, version, kind, recipient, wrapped) VALUES (?1, 1, 'recipient', ?3, ?2)",
         id, junk, keystore::stored_public_key(mallory.public_key));
  auto store = keystore::Keystore::open(path).value();
  const auto matter = store.find("acme").value();
  REQUIRE(matter.recipients.size() == 1); // the row is there...
  const auto rotated = store.rotate(matter, with_passphrase("pw"));
  REQUIRE_FALSE(rotated.has_value()); // ...and nothing was sealed to it
  CHECK(rotated.error().message == "keystore record of matter acme was modified");
  CHECK(store.find("acme")->newest_version() == 1);
  check_modified(store.unwrap(matter, 1, with_passphrase("pw")), "acme");
}

TEST_CASE("keystore record: an injected key version sealed to the recipient is not used")
{
  test::TestContext t;
  const auto path = t.path("keystore.db");
  const auto alice = keystore::generate_identity().value();
  keystore::MatterId id{};
  {
    auto store = keystore::Keystore::open(path).value();
    id = store.create_matter("byok", nullptr, {alice.public_key}, fast)->id;
  }
  // The attacker's key, sealed to alice's public key with the matter id and version 2, as a real wrap is.
  // Filled by index: g++ 12's -Warray-bounds misreads insert() after a 16-byte range under TSan's -O2.
  std::vector<uint8_t> payload(id.size() + 4 + 32, 0x66);
  for (size_t i = 0; i < id.size(); ++i)
    payload[i] = id[i];
  for (size_t i = 0; i < 4; ++i)
    payload[id.size() + i] = i == 3 ? 2 : 0;
  std::vector<uint8_t> sealed(payload.size() + crypto_box_SEALBYTES);
  crypto_box_seal(sealed.data(), payload.data(), payload.size(), alice.public_key.data());
  tamper(path, "INSERT INTO key_versions (matter_id, version, created) VALUES (?1, 2, '2026-12-07T00:00:00Z')", id);
  tamper(path, "INSERT INTO wraps (matter_id, version, kind, recipient, wrapped) VALUES (?1, 2, 'recipient', ?3, ?2)",
         id, sealed, keystore::stored_public_key(alice.public_key));
  auto store = keystore::Keystore::open(path).value();
  const auto matter = store.find("byok").value();
  REQUIRE(matter.newest_version() == 2);
  check_modified(store.unwrap(matter, 2, with_identity(alice)), "byok");
  // Even with a forged chain wrap (under a key the attacker does not have) the version is refused.
  tamper(path, "INSERT INTO chain_wraps (matter_id, version, wrapped) VALUES (?1, 2, ?2)", id, sealed);
  check_modified(store.unwrap(matter, 2, with_identity(alice)), "byok");
}

TEST_CASE("keystore record: a dropped version and a changed KDF cost are found")
{
  test::TestContext t;
  const auto path = t.path("keystore.db");
  keystore::MatterId id{};
  {
    auto store = keystore::Keystore::open(path).value();
    const auto pw = secret("pw");
    id = store.create_matter("acme", &pw, {}, fast)->id;
    REQUIRE(store.rotate(store.find("acme").value(), with_passphrase("pw")) == 2u);
    REQUIRE(store.rotate(store.find("acme").value(), with_passphrase("pw")) == 3u);
    const auto matter = store.find("acme").value();
    const auto v3 = store.unwrap(matter, 3, with_passphrase("pw"));
    REQUIRE(v3.has_value());
  }
  tamper(path, "DELETE FROM wraps WHERE matter_id = ?1 AND version = 3", id);
  tamper(path, "DELETE FROM chain_wraps WHERE matter_id = ?1 AND version = 3", id);
  tamper(path, "DELETE FROM key_versions WHERE matter_id = ?1 AND version = 3", id);
  {
    auto store = keystore::Keystore::open(path).value();
    const auto matter = store.find("acme").value();
    REQUIRE(matter.newest_version() == 2);
    check_modified(store.unwrap(matter, 2, with_passphrase("pw")), "acme");
  }
  // A renamed matter is a modified record too.
  tamper(path, "UPDATE matters SET name = 'renamed' WHERE id = ?1", id);
  auto store = keystore::Keystore::open(path).value();
  check_modified(store.unwrap(store.find("renamed").value(), 1, with_passphrase("pw")), "renamed");
}

TEST_CASE("keystore record: versions chain, and a matter without a record is sealed by its next rotate")
{
  test::TestContext t;
  const auto path = t.path("keystore.db");
  keystore::MatterId id{};
  {
    auto store = keystore::Keystore::open(path).value();
    const auto pw = secret("pw");
    id = store.create_matter("old", &pw, {}, fast)->id;
  }
  // As a keystore from before authenticated records: no record row.
  tamper(path, "DELETE FROM records WHERE matter_id = ?1", id);
  auto store = keystore::Keystore::open(path).value();
  const auto v1 = store.unwrap(store.find("old").value(), 1, with_passphrase("pw"));
  REQUIRE(v1.has_value());
  REQUIRE(store.rotate(store.find("old").value(), with_passphrase("pw")) == 2u);
  const auto matter = store.find("old").value();
  const auto again = store.unwrap(matter, 1, with_passphrase("pw"));
  REQUIRE(again.has_value());
  CHECK(sodium_memcmp(again->data(), v1->data(), v1->size()) == 0);
  REQUIRE(store.unwrap(matter, 2, with_passphrase("pw")).has_value());
  // Now authenticated: an added recipient row is found.
  const auto mallory = keystore::generate_identity().value();
  tamper(path, "INSERT INTO wraps (matter_id, version, kind, recipient, wrapped) VALUES (?1, 2, 'recipient', ?3, ?2)",
         id, std::vector<uint8_t>(80, 1), keystore::stored_public_key(mallory.public_key));
  auto reopened = keystore::Keystore::open(path).value();
  check_modified(reopened.unwrap(reopened.find("old").value(), 2, with_passphrase("pw")), "old");
}
