// The keystore's storage interface (store/key_store.hpp) on SQLite, and copy_keystore (`store migrate`):
// every row copied, record MACs still valid, a non-empty target refused.
#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"
#include "store/sqlite_keys.hpp"

#include "keystore_helpers.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace complycli;

using test::secret;
using test::with_identity;
using test::with_passphrase;

namespace {

const keystore::KdfParams fast = keystore::kdf_params("interactive");

keystore::Keystore open_store(const std::filesystem::path& path)
{
  return keystore::Keystore::open(store::SqliteKeyStore::open(path, util::Access::read_write).value()).value();
}

} // namespace

TEST_CASE("key store: copy_keystore copies every matter, version, wrap, retirement and tombstone")
{
  test::TestContext t;
  const auto bob = keystore::generate_identity().value();
  const auto pw = secret("pw");
  std::vector<uint8_t> key_v1, key_v3;
  {
    auto from = open_store(t.path("from.db"));
    REQUIRE(from.create_matter("acme", &pw, {bob.public_key}, fast));
    auto acme = from.find("acme").value();
    REQUIRE(from.rotate(acme, with_passphrase("pw")));
    REQUIRE(from.rotate(from.find("acme").value(), with_passphrase("pw")));
    REQUIRE(from.retire(from.find("acme").value(), 2, with_passphrase("pw")));
    REQUIRE(from.create_matter("gone", nullptr, {bob.public_key}, fast));
    REQUIRE(from.shred(from.find("gone").value()));
    acme = from.find("acme").value();
    const auto v1 = from.unwrap(acme, 1, with_passphrase("pw")).value();
    const auto v3 = from.unwrap(acme, 3, with_identity(bob)).value();
    key_v1.assign(v1.data(), v1.data() + v1.size());
    key_v3.assign(v3.data(), v3.data() + v3.size());
  }
  auto from = store::SqliteKeyStore::open(t.path("from.db"), util::Access::read_only).value();
  auto to = store::SqliteKeyStore::open(t.path("to.db"), util::Access::read_write).value();
  REQUIRE(store::copy_keystore(*from, *to));

  const auto rows_from = store::dump_keystore(*from).value();
  const auto rows_to = store::dump_keystore(*to).value();
  REQUIRE(rows_to.size() == 2);
  for (std::size_t i = 0; i < rows_to.size(); ++i) {
    CHECK(rows_to[i].matter.id == rows_from[i].matter.id);
    CHECK(rows_to[i].matter.shredded_at == rows_from[i].matter.shredded_at);
    CHECK(rows_to[i].versions.size() == rows_from[i].versions.size());
    CHECK(rows_to[i].wraps.size() == rows_from[i].wraps.size());
    CHECK(rows_to[i].chain.size() == rows_from[i].chain.size());
    CHECK(rows_to[i].record_mac == rows_from[i].record_mac);
    CHECK(rows_to[i].retired.size() == rows_from[i].retired.size());
  }

  auto copied = keystore::Keystore::open(std::move(to)).value();
  const auto acme = copied.find("acme").value();
  CHECK(acme.versions.size() == 2);
  REQUIRE(acme.retired.size() == 1);
  CHECK(acme.retired.front().version == 2);
  const auto v1 = copied.unwrap(acme, 1, with_passphrase("pw")); // through the record MAC
  REQUIRE(v1);
  CHECK(std::vector<uint8_t>(v1->data(), v1->data() + v1->size()) == key_v1);
  const auto v3 = copied.unwrap(acme, 3, with_identity(bob));
  REQUIRE(v3);
  CHECK(std::vector<uint8_t>(v3->data(), v3->data() + v3->size()) == key_v3);
  const auto gone = copied.find("gone").value();
  CHECK(gone.shredded_at.has_value());
  CHECK(copied.wraps(gone).empty());
}

TEST_CASE("key store: copy_keystore refuses a target that holds a matter, and writes nothing")
{
  test::TestContext t;
  const auto pw = secret("pw");
  {
    auto from = open_store(t.path("from.db"));
    REQUIRE(from.create_matter("acme", &pw, {}, fast));
    auto to = open_store(t.path("to.db"));
    REQUIRE(to.create_matter("other", &pw, {}, fast));
  }
  auto from = store::SqliteKeyStore::open(t.path("from.db"), util::Access::read_only).value();
  auto to = store::SqliteKeyStore::open(t.path("to.db"), util::Access::read_write).value();
  const auto copied = store::copy_keystore(*from, *to);
  REQUIRE_FALSE(copied);
  CHECK(copied.error().code == Errc::usage);
  const auto left = to->matters().value();
  REQUIRE(left.size() == 1);
  CHECK(left.front().name == "other");
}

TEST_CASE("key store: a SQLite write that fails rolls back every row it wrote")
{
  test::TestContext t;
  auto keys = store::SqliteKeyStore::open(t.path("k.db"), util::Access::read_write).value();
  const store::MatterRow row{store::Bytes(16, 7), "acme", "2026-01-01T00:00:00Z", std::nullopt};
  const auto done = keys->write([&]() -> Result<void> {
    TRY_VOID(keys->insert_matter(row));
    return keys->insert_matter(row); // the same id again: refused by the primary key
  });
  CHECK_FALSE(done);
  CHECK(keys->matters().value().empty());
}
