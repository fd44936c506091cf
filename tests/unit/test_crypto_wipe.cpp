// Secret hygiene in the chunk layer: what a chunk that fails authentication decrypted to (GCM decrypts
// before it checks the tag) is wiped from the output buffer, and so is the scratch a diagnosis used.

#include "crypto/cobblestone.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <vector>

using namespace complycli;
namespace cb = complycli::crypto::cobblestone;

namespace {

const std::vector<uint8_t> plaintext(cb::chunk_size, 0x5a);

// One chunk of 0x5a bytes sealed as chunk `index` under a fixed key, and an opener for that key.
struct SealedChunk {
  std::vector<uint8_t> sealed = std::vector<uint8_t>(cb::sealed_chunk_size);
  std::optional<cb::ChunkOpener> opener;

  explicit SealedChunk(uint64_t index)
  {
    const std::vector<uint8_t> input_key(32, 0x42);
    const std::vector<uint8_t> context = {'t'};
    auto keys = cb::derive(input_key, cb::Salt{}, context);
    REQUIRE(keys);
    auto sealer = cb::ChunkSealer::create(*keys);
    auto created = cb::ChunkOpener::create(*keys);
    REQUIRE(sealer);
    REQUIRE(created);
    REQUIRE(sealer->seal(index, plaintext, sealed));
    opener.emplace(std::move(*created));
  }
};

} // namespace

TEST_CASE("wipe: a chunk that fails authentication leaves no plaintext in the output buffer")
{
  SealedChunk chunk(0);
  chunk.sealed.back() ^= 1; // the tag: every ciphertext byte still decrypts to the plaintext
  std::vector<uint8_t> out(cb::chunk_size, 0xee);
  const auto opened = chunk.opener->open(0, chunk.sealed, out);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == Errc::auth_failed);
  CHECK(std::all_of(out.begin(), out.end(), [](uint8_t b) { return b == 0; }));
}

TEST_CASE("wipe: diagnosing a misplaced chunk leaves no plaintext in the scratch buffer")
{
  SealedChunk chunk(3); // chunk 3, presented as chunk 1
  std::vector<uint8_t> out(cb::chunk_size, 0xee);
  REQUIRE_FALSE(chunk.opener->open(1, chunk.sealed, out));
  std::vector<uint8_t> scratch(cb::sealed_chunk_size, 0xee);
  const auto error = chunk.opener->diagnose(1, chunk.sealed, false, scratch);
  CHECK(error.message.find("it is chunk 3") != std::string::npos);
  CHECK(std::none_of(scratch.begin(), scratch.end(), [](uint8_t b) { return b == 0x5a; }));
}
