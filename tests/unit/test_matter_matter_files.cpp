#include "matter/matter_files.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace complycli;
using test::files_in;
namespace fs = std::filesystem;

TEST_CASE("matter::encrypt_file, decrypt_file, reencrypt_file")
{
  test::TestContext t;
  auto store = keystore::Keystore::open(t.path("keystore.db")).value();
  auto identity = keystore::generate_identity().value();
  auto matter = store.create_matter("acme", nullptr, {identity.public_key}, keystore::kdf_params("interactive")).value();
  keystore::Unlock unlock;
  unlock.identities.push_back(&identity);
  matter::Keyring keyring(store, unlock);
  std::string content(40000, 'x');
  content += "end";
  const auto plain = t.path("memo.txt");
  const auto sealed = t.path("memo.txt.cmply");
  const auto out = t.path("out.txt");
  REQUIRE(util::write_file_atomic(plain, content, util::Overwrite::no));

  SUBCASE("round trip, with --remove-source verification")
  {
    auto encrypted = matter::encrypt_file(plain, sealed, matter, keyring, util::Overwrite::no, matter::RemoveSource::yes);
    REQUIRE(encrypted);
    CHECK(encrypted->header.key_version == 1);
    CHECK(encrypted->header.matter_id == matter.id);
    CHECK(encrypted->stats.plaintext_bytes == content.size());
    CHECK_FALSE(fs::exists(plain));
    auto decrypted = matter::decrypt_file(sealed, out, keyring, util::Overwrite::no);
    REQUIRE(decrypted);
    CHECK(decrypted->matter == "acme");
    CHECK(decrypted->stats.ciphertext_sha256 == encrypted->stats.ciphertext_sha256);
    CHECK(util::read_file(out).value() == content);
    auto again = matter::decrypt_file(sealed, out, keyring, util::Overwrite::no);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::io);
  }

  SUBCASE("a tampered file leaves no output and no temporary file")
  {
    REQUIRE(matter::encrypt_file(plain, sealed, matter, keyring, util::Overwrite::no, matter::RemoveSource::no));
    auto bytes = util::read_file(sealed).value();
    bytes[bytes.size() - 20] ^= 1;
    REQUIRE(util::write_file_atomic(sealed, bytes, util::Overwrite::yes));
    const auto before = files_in(t.dir());
    auto decrypted = matter::decrypt_file(sealed, out, keyring, util::Overwrite::no);
    REQUIRE_FALSE(decrypted);
    CHECK(decrypted.error().code == Errc::auth_failed);
    CHECK_FALSE(fs::exists(out));
    CHECK(files_in(t.dir()) == before);
  }

  SUBCASE("reencrypt moves a file to the newest key version in place")
  {
    REQUIRE(matter::encrypt_file(plain, sealed, matter, keyring, util::Overwrite::no, matter::RemoveSource::no));
    auto unchanged = matter::reencrypt_file(sealed, keyring);
    REQUIRE(unchanged);
    CHECK(unchanged->unchanged);
    REQUIRE(store.rotate(matter, unlock) == 2u);
    matter = store.find("acme").value();
    matter::Keyring fresh(store, unlock);
    auto moved = matter::reencrypt_file(sealed, fresh);
    REQUIRE(moved);
    CHECK_FALSE(moved->unchanged);
    CHECK(moved->from_version == 1);
    CHECK(moved->header.key_version == 2);
    auto decrypted = matter::decrypt_file(sealed, out, fresh, util::Overwrite::no);
    REQUIRE(decrypted);
    CHECK(decrypted->header.key_version == 2);
    CHECK(util::read_file(out).value() == content);
    for (const auto& entry : fs::directory_iterator(t.dir())) {
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
    }
  }

  SUBCASE("a file of a matter this workspace does not know")
  {
    REQUIRE(matter::encrypt_file(plain, sealed, matter, keyring, util::Overwrite::no, matter::RemoveSource::no));
    auto other = keystore::Keystore::open(t.path("other.db")).value();
    matter::Keyring elsewhere(other, unlock);
    auto decrypted = matter::decrypt_file(sealed, out, elsewhere, util::Overwrite::no);
    REQUIRE_FALSE(decrypted);
    CHECK(decrypted.error().code == Errc::auth_failed);
    CHECK(decrypted.error().message.find("this workspace has no matter with id") != std::string::npos);
  }
}
