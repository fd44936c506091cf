// Bech32 against BIP 173's own test vectors.
#include "util/bech32.hpp"

#include "util/hex.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace complycli;

TEST_CASE("bech32: BIP 173 valid checksums")
{
  const std::vector<std::string> valid = {
      "A12UEL5L",
      "a12uel5l",
      "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
      "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
      "11" + std::string(82, 'q') + "c8247j",
      "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
      "?1ezyfcl",
  };
  for (const auto& text : valid) {
    CAPTURE(text);
    const auto decoded = util::bech32_decode(text);
    REQUIRE(decoded.has_value());
    // Re-encoding gives the lower-case form back.
    std::string lower = text;
    for (char& c : lower) {
      c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    CHECK(util::bech32_encode(decoded->hrp, decoded->data) == lower);
  }
}

TEST_CASE("bech32: BIP 173 invalid strings")
{
  const std::vector<std::string> invalid = {
      std::string("\x20") + "1nwldj5",  // HRP character out of range
      std::string("\x7f") + "1axkwrx",  // HRP character out of range
      std::string("\x80") + "1eym55h",  // HRP character out of range
      "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx", // too long
      "pzry9x0s0muk",                   // no separator
      "1pzry9x0s0muk",                  // empty HRP
      "x1b4n0q5v",                      // invalid data character
      "li1dgmt3",                       // too short checksum
      std::string("de1lg7wt") + "\xff", // invalid character in checksum
      "A1G7SGD8",                       // checksum calculated with the upper-case HRP
      "10a06t8",                        // empty HRP
      "1qzzfhee",                       // empty HRP
      "a12UEL5L",                       // mixed case
  };
  for (const auto& text : invalid) {
    CAPTURE(text);
    const auto decoded = util::bech32_decode(text);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().code == Errc::parse);
  }
}

TEST_CASE("bech32: BIP 173 segwit address regroups to its witness program")
{
  const auto decoded = util::bech32_decode("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4");
  REQUIRE(decoded.has_value());
  CHECK(decoded->hrp == "bc");
  REQUIRE(!decoded->data.empty());
  CHECK(decoded->data[0] == 0); // witness version
  const auto program =
      util::bytes_from_5bit(std::span(decoded->data).subspan(1));
  REQUIRE(program.has_value());
  CHECK(util::to_hex(*program) == "751e76e8199196d454941c45d1b3a323f1433bd6");
  // And back.
  std::vector<uint8_t> data{0};
  const auto regrouped = util::bytes_to_5bit(*program);
  data.insert(data.end(), regrouped.begin(), regrouped.end());
  CHECK(util::bech32_encode("bc", data) == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
}

TEST_CASE("bech32: every single-character change of a 32-byte key is caught")
{
  std::vector<uint8_t> key(32);
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<uint8_t>(i * 37 + 11);
  }
  const auto text = util::bech32_encode("complycli", util::bytes_to_5bit(key));
  CHECK(text.size() == 68);
  static constexpr std::string_view charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  for (std::size_t position = 10; position < text.size(); ++position) {
    for (const char c : charset) {
      if (c == text[position]) {
        continue;
      }
      std::string typo = text;
      typo[position] = c;
      CHECK_FALSE(util::bech32_decode(typo).has_value());
    }
  }
  // Swapping two neighbours is caught too.
  for (std::size_t position = 10; position + 1 < text.size(); ++position) {
    std::string swapped = text;
    std::swap(swapped[position], swapped[position + 1]);
    if (swapped != text) {
      CHECK_FALSE(util::bech32_decode(swapped).has_value());
    }
  }
  const auto back = util::bytes_from_5bit(util::bech32_decode(text)->data);
  CHECK(*back == key);
  // Non-zero padding bits are refused.
  CHECK_FALSE(util::bytes_from_5bit(std::vector<uint8_t>{31}).has_value());
}
