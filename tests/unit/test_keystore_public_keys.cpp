// Format 2 key pairs in the keystore: every new key version gets an X25519 public key derived from its
// secret, bound by the record MAC; rotation makes a new pair; retire and shred remove it; a keystore
// from complycli 0.1.0 (tests/data/matter-v1) gains a pair at its next rotate.
#include "crypto/matter_v2.hpp"
#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"

#include "keystore_helpers.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

using namespace complycli;
using crypto::SecretBytes;

using test::secret;
using test::with_passphrase;

namespace {

const keystore::KdfParams fast = keystore::kdf_params("interactive");

crypto::X25519Public public_of(const SecretBytes& version_secret)
{
  const auto secret_key = crypto::version_secret_key(version_secret);
  REQUIRE(secret_key);
  const auto pk = crypto::x25519_public_key(*secret_key);
  REQUIRE(pk);
  return *pk;
}

// Run `sql` on the keystore file (`?1` = the matter id, `?2` = `blob`), as an attacker would.
void tamper(const std::filesystem::path& db_path, const char* sql, const keystore::MatterId& id,
            const std::vector<uint8_t>& blob = {})
{
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_blob(stmt, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(stmt, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  CHECK(sqlite3_step(stmt) == SQLITE_DONE);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

int64_t public_key_rows(const std::filesystem::path& db_path)
{
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM version_public_keys", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const auto n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

} // namespace

TEST_CASE("keystore public keys: each version has the pair of its secret, and rotate makes a new one")
{
  test::TestContext t;
  const auto path = t.path("keystore.db");
  auto store = keystore::Keystore::open(path).value();
  const auto pw = secret("pw");
  auto matter = store.create_matter("acme", &pw, {}, fast).value();
  REQUIRE(matter.versions.size() == 1);
  REQUIRE(matter.newest_public_key());
  const auto v1 = store.unwrap(matter, 1, with_passphrase("pw"));
  REQUIRE(v1);
  CHECK(*matter.newest_public_key() == public_of(*v1));

  REQUIRE(store.rotate(matter, with_passphrase("pw")));
  matter = store.find("acme").value();
  REQUIRE(matter.versions.size() == 2);
  REQUIRE(matter.versions[1].public_key);
  CHECK(*matter.versions[1].public_key != *matter.versions[0].public_key);
  const auto v2 = store.unwrap(matter, 2, with_passphrase("pw"));
  REQUIRE(v2);
  CHECK(*matter.versions[1].public_key == public_of(*v2));

  // A read-only open sees the same public keys (what `encrypt` uses).
  auto reader = keystore::Keystore::open(path, util::Access::read_only).value();
  CHECK(reader.find("acme")->newest_public_key() == matter.newest_public_key());

  SUBCASE("retire removes the version's public key, shred every one")
  {
    CHECK(public_key_rows(path) == 2);
    REQUIRE(store.retire(matter, 1, with_passphrase("pw")));
    CHECK(public_key_rows(path) == 1);
    matter = store.find("acme").value();
    REQUIRE(store.unwrap(matter, 2, with_passphrase("pw")));
    REQUIRE(store.shred(matter));
    CHECK(public_key_rows(path) == 0);
  }
}

TEST_CASE("keystore public keys: a replaced or removed public key is a modified record")
{
  test::TestContext t;
  const auto path = t.path("keystore.db");
  const auto mallory = keystore::generate_identity().value();
  keystore::MatterId id{};
  {
    auto store = keystore::Keystore::open(path).value();
    const auto pw = secret("pw");
    id = store.create_matter("acme", &pw, {}, fast)->id;
  }
  const std::vector<uint8_t> attacker(mallory.public_key.begin(), mallory.public_key.end());
  SUBCASE("replaced")
  {
    tamper(path, "UPDATE version_public_keys SET public_key = ?2 WHERE matter_id = ?1", id, attacker);
    auto store = keystore::Keystore::open(path).value();
    const auto matter = store.find("acme").value();
    CHECK(matter.newest_public_key() == mallory.public_key); // what a secret-less encrypt would use...
    const auto unwrapped = store.unwrap(matter, 1, with_passphrase("pw"));
    REQUIRE_FALSE(unwrapped); // ...is found at the next unlock
    CHECK(unwrapped.error().message == "keystore record of matter acme was modified");
  }
  SUBCASE("removed")
  {
    tamper(path, "DELETE FROM version_public_keys WHERE matter_id = ?1", id);
    auto store = keystore::Keystore::open(path).value();
    const auto matter = store.find("acme").value();
    CHECK_FALSE(matter.newest_public_key());
    const auto unwrapped = store.unwrap(matter, 1, with_passphrase("pw"));
    REQUIRE_FALSE(unwrapped);
    CHECK(unwrapped.error().message == "keystore record of matter acme was modified");
  }
  SUBCASE("a key version added with the attacker's public key")
  {
    tamper(path, "INSERT INTO key_versions (matter_id, version, created) VALUES (?1, 2, '2026-12-07T00:00:00Z')", id);
    tamper(path, "INSERT INTO version_public_keys (matter_id, version, public_key) VALUES (?1, 2, ?2)", id, attacker);
    auto store = keystore::Keystore::open(path).value();
    const auto matter = store.find("acme").value();
    const auto unwrapped = store.unwrap(matter, 1, with_passphrase("pw"));
    REQUIRE_FALSE(unwrapped);
    CHECK(unwrapped.error().message == "keystore record of matter acme was modified");
  }
}

TEST_CASE("keystore public keys: a keystore from complycli 0.1.0 gets a key pair at its next rotate")
{
  const std::filesystem::path data = std::filesystem::path(COMPLYCLI_TEST_DATA) / "matter-v1";
  test::TestContext t;
  std::filesystem::copy_file(data / "keystore.db", t.path("keystore.db"));
  {
    // Read-only, as `encrypt` opens it: no version_public_keys table yet, and no public key.
    auto reader = keystore::Keystore::open(t.path("keystore.db"), util::Access::read_only).value();
    CHECK_FALSE(reader.find("v1-fixture")->newest_public_key());
  }
  auto store = keystore::Keystore::open(t.path("keystore.db")).value();
  const auto identity = keystore::load_identity(data / "v1.key").value();
  keystore::Unlock unlock;
  unlock.identities.push_back(&identity);
  auto matter = store.find("v1-fixture").value();
  CHECK_FALSE(matter.newest_public_key());
  REQUIRE(store.unwrap(matter, 1, unlock)); // the old record still verifies
  REQUIRE(store.rotate(matter, unlock));
  matter = store.find("v1-fixture").value();
  REQUIRE(matter.versions.size() == 2);
  CHECK_FALSE(matter.versions[0].public_key);
  REQUIRE(matter.newest_public_key());
  const auto v2 = store.unwrap(matter, 2, unlock);
  REQUIRE(v2);
  CHECK(*matter.newest_public_key() == public_of(*v2));
  REQUIRE(store.unwrap(matter, 1, unlock));
}
