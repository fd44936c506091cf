#include "crypto/sha256.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>
#include <sodium.h>
#include <string>
#include <string_view>

using namespace complycli;

namespace {

std::span<const uint8_t> bytes_of(std::string_view text)
{
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

} // namespace

TEST_CASE("crypto::sha256")
{
  SUBCASE("FIPS 180-2's examples (appendix B), whole and in parts")
  {
    CHECK(util::to_hex(crypto::sha256({bytes_of("abc")})) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string_view two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const auto expected = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    CHECK(util::to_hex(crypto::sha256({bytes_of(two_blocks)})) == expected);
    CHECK(util::to_hex(crypto::sha256({bytes_of(two_blocks.substr(0, 1)), bytes_of(two_blocks.substr(1, 54)),
                                       bytes_of(two_blocks.substr(55))})) == expected);
    const std::string million(1000000, 'a');
    CHECK(util::to_hex(crypto::sha256({bytes_of(million)})) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(util::to_hex(crypto::sha256({})) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  SUBCASE("agrees with libsodium's SHA-256 at every length around the block boundaries")
  {
    std::string message;
    for (std::size_t length = 0; length <= 300; ++length) {
      CAPTURE(length);
      message.assign(length, static_cast<char>(length * 7));
      std::array<uint8_t, 32> expected{};
      crypto_hash_sha256(expected.data(), reinterpret_cast<const unsigned char *>(message.data()), length);
      REQUIRE(crypto::sha256({bytes_of(message)}) == expected);
      const std::string_view view(message);
      REQUIRE(crypto::sha256({bytes_of(view.substr(0, length / 3)), bytes_of(view.substr(length / 3))}) ==
              expected);
    }
  }
}
