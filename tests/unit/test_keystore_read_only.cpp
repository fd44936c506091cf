// The keystore opened read-only: matters list and unwrap from a folder that cannot be written, and no
// file is created or changed. (As root, chmod does not stop writes: the snapshots show that the
// read-only open wrote nothing.)

#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"

#include "read_only_folder.hpp"
#include "keystore_helpers.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace complycli;
namespace fs = std::filesystem;

using test::with_identity;

TEST_CASE("keystore: read-only open")
{
  REQUIRE(sodium_init() >= 0);
  test::TestContext t;
  const auto dir = t.path("ws");
  fs::create_directories(dir);
  const auto db = dir / "keystore.db";
  const auto alice = keystore::generate_identity().value();
  const auto fast = keystore::kdf_params("interactive");

  SUBCASE("a read-only folder: list, find and unwrap work; changes are refused; no file changes")
  {
    crypto::SecretBytes key_before;
    {
      auto store = keystore::Keystore::open(db);
      REQUIRE(store);
      auto matter = store->create_matter("acme", nullptr, {alice.public_key}, fast);
      REQUIRE(matter);
      REQUIRE(store->rotate(*matter, with_identity(alice)));
      key_before = store->unwrap(store->find("acme").value(), 2, with_identity(alice)).value();
    }
    const auto before = test::snapshot(dir);
    {
      test::ReadOnlyFolder read_only(dir);
      auto store = keystore::Keystore::open(db, util::Access::read_only);
      REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
      const auto matters = store->list();
      REQUIRE(matters.size() == 1);
      CHECK(matters[0].name == "acme");
      CHECK(matters[0].newest_version() == 2);
      const auto matter = store->find("acme");
      REQUIRE(matter);
      auto key = store->unwrap(*matter, 2, with_identity(alice));
      REQUIRE(key);
      CHECK((key->size() == key_before.size() && std::memcmp(key->data(), key_before.data(), key->size()) == 0));

      auto created = store->create_matter("other", nullptr, {alice.public_key}, fast);
      REQUIRE_FALSE(created);
      CHECK(created.error().code == Errc::internal);
      CHECK_FALSE(store->rotate(*matter, with_identity(alice)));
      CHECK_FALSE(store->shred(*matter));
    }
    const auto after = test::snapshot(dir);
    INFO("before: " << test::names(before) << "after: " << test::names(after));
    CHECK(before == after);
  }

  SUBCASE("no keystore yet: an empty one, and nothing is created")
  {
    for (const bool read_only_folder : {false, true}) {
      std::optional<test::ReadOnlyFolder> read_only;
      if (read_only_folder) {
        read_only.emplace(dir);
      }
      auto store = keystore::Keystore::open(db, util::Access::read_only);
      REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
      CHECK(store->list().empty());
      CHECK(store->find("acme").error().code == Errc::usage);
      CHECK(test::files_in(dir) == 0);
    }
  }

  SUBCASE("an empty keystore file holds no matter")
  {
    { std::ofstream touch(db); }
    auto store = keystore::Keystore::open(db, util::Access::read_only);
    REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
    CHECK(store->list().empty());
  }
}
