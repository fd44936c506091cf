#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"
#include "util/file.hpp"

#include "keystore_helpers.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

using namespace complycli;
using crypto::SecretBytes;
namespace fs = std::filesystem;

using test::secret;
using test::with_passphrase;
using test::with_identity;

namespace {

const keystore::KdfParams fast = keystore::kdf_params("interactive");

bool same(const SecretBytes& a, const SecretBytes& b)
{
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// Does `needle` occur anywhere in the bytes of the keystore's files (database, WAL, shared memory)?
bool keystore_files_contain(const fs::path& db, std::span<const uint8_t> needle)
{
  for (const auto& suffix : {"", "-wal", "-shm", "-journal"}) {
    const fs::path path = db.string() + suffix;
    if (!fs::exists(path)) {
      continue;
    }
    const auto bytes = util::read_file(path).value();
    if (std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end(),
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; }) != bytes.end()) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("keystore::kdf defaults")
{
  unsetenv("COMPLYCLI_KDF_PROFILE");
  const auto kdf = keystore::kdf_params_for_new_slots();
  REQUIRE(kdf);
  CHECK(kdf->opslimit >= crypto_pwhash_OPSLIMIT_MODERATE);
  CHECK(kdf->memlimit >= crypto_pwhash_MEMLIMIT_MODERATE);
  setenv("COMPLYCLI_KDF_PROFILE", "interactive", 1);
  CHECK(keystore::kdf_params_for_new_slots()->memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
  setenv("COMPLYCLI_KDF_PROFILE", "none", 1);
  CHECK(keystore::kdf_params_for_new_slots().error().code == Errc::usage);
  unsetenv("COMPLYCLI_KDF_PROFILE");
}

TEST_CASE("keystore::Keystore")
{
  test::TestContext t;
  const auto db = t.path("keystore.db");
  auto store = keystore::Keystore::open(db);
  REQUIRE(store);
  struct stat st {};
  REQUIRE(::stat(db.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto alice = keystore::generate_identity().value();
  auto bob = keystore::generate_identity().value();
  const auto pass = secret("correct horse");

  SUBCASE("passphrase wrap: right and wrong passphrase")
  {
    auto matter = store->create_matter("acme-v-beta", &pass, {}, fast);
    REQUIRE(matter);
    CHECK(matter->newest_version() == 1);
    CHECK(matter->passphrase);
    CHECK(matter->recipients.empty());
    auto key = store->unwrap(*matter, 1, with_passphrase("correct horse"));
    REQUIRE(key);
    CHECK(key->size() == 32);

    auto other = keystore::Keystore::open(db).value(); // a fresh handle: no cached derived key
    auto again = other.unwrap(*matter, 1, with_passphrase("correct horse"));
    REQUIRE(again);
    CHECK(same(*key, *again));

    auto third = keystore::Keystore::open(db).value();
    auto wrong = third.unwrap(*matter, 1, with_passphrase("wrong horse"));
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code == Errc::auth_failed);
    CHECK(wrong.error().message == "wrong passphrase for matter \"acme-v-beta\"");

    auto missing = third.unwrap(*matter, 7, with_passphrase("correct horse"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("no key version 7") != std::string::npos);

    CHECK(store->create_matter("acme-v-beta", &pass, {}, fast).error().code == Errc::usage);
    CHECK(store->create_matter("bad name", &pass, {}, fast).error().code == Errc::usage);
    CHECK(store->create_matter("nokeys", nullptr, {}, fast).error().code == Errc::usage);
  }

  SUBCASE("recipient wraps, and a matter without a passphrase")
  {
    auto matter = store->create_matter("byok", nullptr, {alice.public_key}, fast);
    REQUIRE(matter);
    CHECK_FALSE(matter->passphrase);
    REQUIRE(matter->recipients.size() == 1);
    CHECK(matter->recipients[0] == keystore::encode_public_key(alice.public_key));
    CHECK(store->unwrap(*matter, 1, with_identity(alice)));

    auto by_passphrase = store->unwrap(*matter, 1, with_passphrase("correct horse"));
    REQUIRE_FALSE(by_passphrase);
    CHECK(by_passphrase.error().code == Errc::auth_failed);
    CHECK(by_passphrase.error().message.find("has no passphrase") != std::string::npos);

    auto by_bob = store->unwrap(*matter, 1, with_identity(bob));
    REQUIRE_FALSE(by_bob);
    CHECK(by_bob.error().message.find("is not a recipient") != std::string::npos);
  }

  SUBCASE("rewrap: add and remove recipients, change and remove the passphrase")
  {
    auto matter = store->create_matter("rewrap", &pass, {alice.public_key}, fast).value();
    const auto key = store->unwrap(matter, 1, with_identity(alice)).value();

    keystore::Rewrap add_bob;
    add_bob.add_recipients = {bob.public_key};
    REQUIRE(store->rewrap(matter, with_identity(alice), add_bob));
    matter = store->find("rewrap").value();
    CHECK(matter.recipients.size() == 2);
    CHECK(same(store->unwrap(matter, 1, with_identity(bob)).value(), key));

    keystore::Rewrap drop_alice;
    drop_alice.remove_recipients = {alice.public_key};
    // Removing a recipient rotates: the kept passphrase must wrap the new version, so it is needed.
    auto without_passphrase = store->rewrap(matter, with_identity(bob), drop_alice);
    REQUIRE_FALSE(without_passphrase);
    CHECK(without_passphrase.error().message.find("needed to wrap the new key version") != std::string::npos);
    auto bob_and_passphrase = with_passphrase("correct horse");
    bob_and_passphrase.identities.push_back(&bob);
    REQUIRE(store->rewrap(matter, bob_and_passphrase, drop_alice));
    matter = store->find("rewrap").value();
    CHECK(matter.newest_version() == 2);
    auto removed = store->unwrap(matter, 1, with_identity(alice));
    REQUIRE_FALSE(removed);
    CHECK(removed.error().code == Errc::auth_failed);
    CHECK_FALSE(store->unwrap(matter, 2, with_identity(alice)));
    CHECK(store->unwrap(matter, 2, with_identity(bob)));

    const auto new_pass = secret("new passphrase");
    keystore::Rewrap change;
    change.new_passphrase = &new_pass;
    REQUIRE(store->rewrap(matter, with_passphrase("correct horse"), change));
    matter = store->find("rewrap").value();
    auto fresh = keystore::Keystore::open(db).value();
    CHECK(fresh.unwrap(matter, 1, with_passphrase("correct horse")).error().message.starts_with("wrong passphrase"));
    CHECK(same(fresh.unwrap(matter, 1, with_passphrase("new passphrase")).value(), key));

    keystore::Rewrap remove_pass;
    remove_pass.remove_passphrase = true;
    REQUIRE(store->rewrap(matter, with_identity(bob), remove_pass));
    matter = store->find("rewrap").value();
    CHECK_FALSE(matter.passphrase);
    CHECK(matter.newest_version() == 3); // removing the passphrase rotates too

    keystore::Rewrap remove_last;
    remove_last.remove_recipients = {bob.public_key};
    auto refused = store->rewrap(matter, with_identity(bob), remove_last);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::usage);
    CHECK(refused.error().message.find("last way to unlock") != std::string::npos);
    CHECK(store->unwrap(store->find("rewrap").value(), 1, with_identity(bob)));
  }

  SUBCASE("rotate adds a key version; old versions still unwrap")
  {
    auto matter = store->create_matter("rotating", &pass, {alice.public_key}, fast).value();
    auto version = store->rotate(matter, with_passphrase("correct horse"));
    REQUIRE(version);
    CHECK(*version == 2);
    matter = store->find("rotating").value();
    CHECK(matter.newest_version() == 2);
    const auto v1 = store->unwrap(matter, 1, with_identity(alice)).value();
    const auto v2 = store->unwrap(matter, 2, with_identity(alice)).value();
    CHECK_FALSE(same(v1, v2));
    auto fresh = keystore::Keystore::open(db).value();
    CHECK(same(fresh.unwrap(matter, 2, with_passphrase("correct horse")).value(), v2));
    auto fresh2 = keystore::Keystore::open(db).value();
    CHECK(fresh2.rotate(matter, with_passphrase("nope")).error().code == Errc::auth_failed);
  }

  SUBCASE("shred removes every key byte from the files and leaves a tombstone")
  {
    auto matter = store->create_matter("doomed", &pass, {alice.public_key}, fast).value();
    REQUIRE(store->rotate(matter, with_passphrase("correct horse")) == 2u);
    matter = store->find("doomed").value();
    auto keeper = store->create_matter("keeper", &pass, {}, fast).value();
    const auto k1 = store->unwrap(matter, 1, with_identity(alice)).value();
    const auto k2 = store->unwrap(matter, 2, with_identity(alice)).value();
    const auto wraps = store->wraps(matter);
    REQUIRE(wraps.size() == 4);
    for (const auto& wrap : wraps) {
      REQUIRE(keystore_files_contain(db, wrap.wrapped));
    }
    const auto keeper_wraps = store->wraps(keeper);

    REQUIRE(store->shred(matter));
    for (const auto& wrap : wraps) {
      CHECK_FALSE(keystore_files_contain(db, wrap.wrapped));
    }
    CHECK_FALSE(keystore_files_contain(db, k1.view()));
    CHECK_FALSE(keystore_files_contain(db, k2.view()));
    for (const auto& wrap : keeper_wraps) {
      CHECK(keystore_files_contain(db, wrap.wrapped));
    }

    auto tombstone = store->find("doomed");
    REQUIRE(tombstone);
    CHECK(tombstone->shredded_at);
    CHECK(tombstone->id == matter.id);
    CHECK(tombstone->versions.empty());
    CHECK(store->wraps(*tombstone).empty());
    auto destroyed = store->unwrap(*tombstone, 1, with_identity(alice));
    REQUIRE_FALSE(destroyed);
    CHECK(destroyed.error().code == Errc::auth_failed);
    CHECK(destroyed.error().message.find("were destroyed on " + *tombstone->shredded_at) != std::string::npos);
    CHECK(store->shred(*tombstone).error().code == Errc::usage);
    CHECK(store->unwrap(keeper, 1, with_passphrase("correct horse")));
  }

  SUBCASE("export and import between two workspaces")
  {
    auto matter = store->create_matter("moving", &pass, {}, fast).value();
    REQUIRE(store->rotate(matter, with_passphrase("correct horse")));
    matter = store->find("moving").value();
    const auto v1 = store->unwrap(matter, 1, with_passphrase("correct horse")).value();
    const auto v2 = store->unwrap(matter, 2, with_passphrase("correct horse")).value();

    auto exported = store->export_matter(matter, with_passphrase("correct horse"), bob.public_key);
    REQUIRE(exported);
    const auto text = keystore::export_to_json(*exported);
    CHECK(text.find("\"format\": \"complycli-matter-export\"") != std::string::npos);
    auto parsed = keystore::export_from_json(text, "x.json");
    REQUIRE(parsed);

    auto second = keystore::Keystore::open(t.path("second.db")).value();
    auto wrong = second.import_matter(*parsed, alice, nullptr, fast);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code == Errc::auth_failed);

    const auto pass2 = secret("second workspace");
    auto imported = second.import_matter(*parsed, bob, &pass2, fast);
    REQUIRE(imported);
    CHECK(imported->id == matter.id);
    CHECK(imported->newest_version() == 2);
    CHECK(imported->recipients == std::vector<std::string>{keystore::encode_public_key(bob.public_key)});
    CHECK(same(second.unwrap(*imported, 1, with_identity(bob)).value(), v1));
    auto fresh = keystore::Keystore::open(t.path("second.db")).value();
    CHECK(same(fresh.unwrap(*imported, 2, with_passphrase("second workspace")).value(), v2));
    CHECK(second.import_matter(*parsed, bob, nullptr, fast).error().code == Errc::usage);

    CHECK(keystore::export_from_json("{}", "x.json").error().code == Errc::parse);
    CHECK(keystore::export_from_json("not json", "x.json").error().code == Errc::parse);
  }
}

TEST_CASE("keystore::identity")
{
  test::TestContext t;
  auto identity = keystore::generate_identity().value();
  const auto text = keystore::encode_public_key(identity.public_key);
  CHECK(text.starts_with("complycli1"));
  CHECK(keystore::parse_public_key(text).value() == identity.public_key);
  CHECK(keystore::parse_public_key("complycli1abc").error().code == Errc::usage);
  CHECK(keystore::parse_public_key("age1xyz").error().code == Errc::usage);

  const auto file = t.path("id.txt");
  REQUIRE(util::write_file_atomic(file, keystore::identity_file_text(identity, "2026-01-01T00:00:00Z"),
                                  util::Overwrite::no, 0600));
  auto loaded = keystore::load_identity(file);
  REQUIRE(loaded);
  CHECK(loaded->public_key == identity.public_key);

  const uint8_t message[] = {1, 2, 3};
  const auto sealed = keystore::seal_to(identity.public_key, message);
  auto opened = keystore::open_sealed(*loaded, {reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size()});
  REQUIRE(opened);
  CHECK(opened->size() == 3);
  auto other = keystore::generate_identity().value();
  CHECK(keystore::open_sealed(other, {reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size()}).error().code ==
        Errc::auth_failed);

  REQUIRE(util::write_file_atomic(t.path("bad.txt"), "# comment\nnot a key\n", util::Overwrite::no));
  auto bad = keystore::load_identity(t.path("bad.txt"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::parse);
  CHECK(bad.error().message.find("bad.txt:2:1") != std::string::npos);
}
