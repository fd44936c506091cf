// A matter file of format version 1 written by the complycli 0.1.0 binary (tests/data/matter-v1: the
// file, its plaintext, the keystore that holds its matter and the recipient identity that unlocks it)
// must keep decrypting through every later change to the keystore and the file format.

#include "crypto/matter_file.hpp"
#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

using namespace complycli;

TEST_CASE("matter v1 fixture: a file from complycli 0.1.0 decrypts with its keystore and identity")
{
  const std::filesystem::path data = std::filesystem::path(COMPLYCLI_TEST_DATA) / "matter-v1";
  test::TestContext tmp;
  std::filesystem::copy_file(data / "keystore.db", tmp.path("keystore.db"));
  auto store = keystore::Keystore::open(tmp.path("keystore.db"));
  REQUIRE(store);
  auto identity = keystore::load_identity(data / "v1.key");
  REQUIRE(identity);

  const int in = ::open((data / "v1.cmply").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(in >= 0);
  auto header = crypto::read_header(in);
  REQUIRE(header);
  CHECK(header->format_version == 1);
  CHECK(header->key_version == 1);
  const auto matter = store->find_by_id(header->matter_id);
  REQUIRE(matter);
  CHECK(matter->name == "v1-fixture");
  keystore::Unlock unlock;
  unlock.identities.push_back(&*identity);
  auto key = store->unwrap(*matter, header->key_version, unlock);
  REQUIRE(key);
  const auto out_path = tmp.path("plain.out");
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(out >= 0);
  const auto stats = crypto::decrypt_stream(in, out, *header, *key);
  ::close(in);
  ::close(out);
  REQUIRE(stats);
  const auto expected = util::read_file(data / "plain.txt");
  const auto actual = util::read_file(out_path);
  REQUIRE(expected);
  REQUIRE(actual);
  CHECK(*actual == *expected);
}
