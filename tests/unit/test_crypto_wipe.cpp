// Secret hygiene in the chunk layer: what a chunk that fails authentication decrypted to (GCM decrypts
// before it checks the tag) is wiped from the output buffer, and so is the scratch a diagnosis used.

#include "crypto/cobblestone.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

using namespace complycli;
namespace cb = complycli::crypto::cobblestone;

namespace {

cb::MessageKeys keys_for_test()
{
  const std::vector<uint8_t> input_key(32, 0x42);
  const cb::Salt salt{};
  const std::vector<uint8_t> context = {'t'};
  auto keys = cb::derive(input_key, salt, context);
  REQUIRE(keys);
  return std::move(*keys);
}

} // namespace

TEST_CASE("wipe: a chunk that fails authentication leaves no plaintext in the output buffer")
{
  const auto keys = keys_for_test();
  auto sealer = cb::ChunkSealer::create(keys);
  auto opener = cb::ChunkOpener::create(keys);
  REQUIRE(sealer);
  REQUIRE(opener);
  const std::vector<uint8_t> plaintext(cb::chunk_size, 0x5a);
  std::vector<uint8_t> sealed(cb::sealed_chunk_size);
  REQUIRE(sealer->seal(0, plaintext, sealed));
  sealed.back() ^= 1; // the tag: every ciphertext byte still decrypts to the plaintext
  std::vector<uint8_t> out(cb::chunk_size, 0xee);
  const auto opened = opener->open(0, sealed, out);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == Errc::auth_failed);
  CHECK(std::all_of(out.begin(), out.end(), [](uint8_t b) { return b == 0; }));
}

TEST_CASE("wipe: diagnosing a misplaced chunk leaves no plaintext in the scratch buffer")
{
  const auto keys = keys_for_test();
  auto sealer = cb::ChunkSealer::create(keys);
  auto opener = cb::ChunkOpener::create(keys);
  REQUIRE(sealer);
  REQUIRE(opener);
  const std::vector<uint8_t> plaintext(cb::chunk_size, 0x5a);
  std::vector<uint8_t> sealed(cb::sealed_chunk_size);
  REQUIRE(sealer->seal(3, plaintext, sealed)); // chunk 3, presented as chunk 1
  std::vector<uint8_t> out(cb::chunk_size, 0xee);
  REQUIRE_FALSE(opener->open(1, sealed, out));
  std::vector<uint8_t> scratch(cb::sealed_chunk_size, 0xee);
  const auto error = opener->diagnose(1, sealed, false, scratch);
  CHECK(error.message.find("it is chunk 3") != std::string::npos);
  CHECK(std::none_of(scratch.begin(), scratch.end(), [](uint8_t b) { return b == 0x5a; }));
}
