// Matter file format version 2: the implementation against tests/data/format-v2-vectors.json (made by
// tests/data/gen-format-v2-vectors.py, an independent Python implementation of docs/format.md), and
// tampered headers and low-order points refused.

#include "crypto/cobblestone.hpp"
#include "crypto/matter_file.hpp"
#include "crypto/matter_v2.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/mman.h>
#include <unistd.h>

using namespace complycli;
using crypto::MatterFileHeader;

namespace {

nlohmann::json vectors()
{
  const auto text = util::read_file(std::filesystem::path(COMPLYCLI_TEST_DATA) / "format-v2-vectors.json");
  REQUIRE(text);
  return nlohmann::json::parse(*text);
}

std::vector<uint8_t> hex(const nlohmann::json& value)
{
  auto bytes = util::from_hex(value.get<std::string>());
  REQUIRE(bytes);
  return *bytes;
}

crypto::SecretBytes secret(const nlohmann::json& value)
{
  const auto bytes = hex(value);
  auto key = crypto::SecretBytes::copy_of(bytes);
  REQUIRE(key);
  return std::move(*key);
}

crypto::X25519Public public_key(const nlohmann::json& value)
{
  const auto bytes = hex(value);
  REQUIRE(bytes.size() == 32);
  crypto::X25519Public key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

std::vector<uint8_t> bytes_of(const crypto::SecretBytes& key)
{
  return {key.view().begin(), key.view().end()};
}

struct Opened {
  Result<crypto::StreamStats> result;
  std::vector<uint8_t> plaintext;
};

// As `complycli decrypt` does: read the header, derive the input key from it with the matter's X25519
// secret key, decrypt the payload.
Opened open_file(std::span<const uint8_t> file, const crypto::SecretBytes& matter_secret)
{
  const int in = test::memfd_with(file);
  const int out = ::memfd_create("out", MFD_CLOEXEC);
  Opened opened{crypto::StreamStats{}, {}};
  auto header = crypto::read_header(in);
  if (!header) {
    opened.result = std::unexpected(header.error());
  } else if (auto key = crypto::v2_recipient_input_key(*header, matter_secret); !key) {
    opened.result = std::unexpected(key.error());
  } else {
    opened.result = crypto::decrypt_stream(in, out, *header, *key, crypto::StreamOptions{});
    opened.plaintext = test::contents(out);
  }
  ::close(in);
  ::close(out);
  return opened;
}

} // namespace

TEST_CASE("matter format 2: the test vectors")
{
  const auto all = vectors();
  REQUIRE(all["valid"].size() >= 3);
  for (const auto& v : all["valid"]) {
    CAPTURE(v["name"].get<std::string>());
    // The keystore's derivation of a key version's X25519 pair.
    const auto version_secret = secret(v["version_secret"]);
    auto matter_secret = crypto::version_secret_key(version_secret);
    REQUIRE(matter_secret);
    CHECK(bytes_of(*matter_secret) == hex(v["matter_secret_key"]));
    const auto matter_public = crypto::x25519_public_key(*matter_secret);
    REQUIRE(matter_public);
    CHECK(*matter_public == public_key(v["matter_public_key"]));

    // The sender: only the public key, and the vector's ephemeral secret in place of a random one.
    MatterFileHeader header;
    header.format_version = 2;
    const auto id = hex(v["matter_id"]);
    REQUIRE(id.size() == header.matter_id.size());
    std::copy(id.begin(), id.end(), header.matter_id.begin());
    header.key_version = v["key_version"].get<uint32_t>();
    const auto ephemeral = secret(v["ephemeral_secret_key"]);
    auto input_key = crypto::v2_sender_input_key(header, public_key(v["matter_public_key"]), &ephemeral);
    REQUIRE(input_key);
    CHECK(header.ephemeral_public == public_key(v["ephemeral_public_key"]));
    CHECK(crypto::encode_header(header) == hex(v["header"]));
    CHECK(bytes_of(*input_key) == hex(v["input_key"]));
    CHECK(crypto::header_context(header) == hex(v["cobblestone_context"]));
    // The HKDF step on its own, from the vector's shared secret.
    const auto direct = crypto::v2_input_key(hex(v["shared_secret"]), header.ephemeral_public, *matter_public,
                                             hex(v["header"]));
    REQUIRE(direct);
    CHECK(bytes_of(*direct) == hex(v["input_key"]));

    // The whole file, with the vector's Cobblestone salt.
    const auto salt_bytes = hex(v["cobblestone_salt"]);
    crypto::cobblestone::Salt salt{};
    REQUIRE(salt_bytes.size() == salt.size());
    std::copy(salt_bytes.begin(), salt_bytes.end(), salt.begin());
    const auto plaintext = hex(v["plaintext"]);
    auto payload = crypto::cobblestone::seal_message(input_key->view(), crypto::header_context(header), plaintext, salt);
    REQUIRE(payload);
    auto file = crypto::encode_header(header);
    file.insert(file.end(), payload->begin(), payload->end());
    CHECK(file == hex(v["file"]));
    CHECK(crypto::plaintext_size_for(file.size(), 2) == plaintext.size());

    // The reader: the header parsed back, the input key from the matter's secret key, the payload.
    const auto opened = open_file(hex(v["file"]), *matter_secret);
    REQUIRE(opened.result);
    CHECK(opened.plaintext == plaintext);
    CHECK(opened.result->ciphertext_bytes == file.size());
  }
}

TEST_CASE("matter format 2: a changed header byte fails authentication")
{
  const auto v = vectors()["valid"][0];
  const auto matter_secret = secret(v["matter_secret_key"]);
  const auto file = hex(v["file"]);
  struct Field {
    const char* name;
    std::size_t offset;
  };
  for (const auto& field : {Field{"matter id", 6}, Field{"matter id (last byte)", 21}, Field{"key version", 24},
                            Field{"ephemeral public key", 26}, Field{"ephemeral public key (last byte)", 57}}) {
    CAPTURE(field.name);
    auto tampered = file;
    tampered[field.offset] ^= 0x01;
    const auto opened = open_file(tampered, matter_secret);
    REQUIRE_FALSE(opened.result);
    CHECK(opened.result.error().code == Errc::auth_failed);
    CHECK(opened.plaintext.empty());
  }
  SUBCASE("the header of another file")
  {
    const auto other = vectors()["valid"][1];
    auto spliced = hex(other["header"]);
    spliced.insert(spliced.end(), file.begin() + crypto::header_v2_size, file.end());
    const auto opened = open_file(spliced, matter_secret);
    REQUIRE_FALSE(opened.result);
    CHECK(opened.result.error().code == Errc::auth_failed);
  }
  SUBCASE("another matter's secret key")
  {
    const auto other = secret(vectors()["valid"][1]["matter_secret_key"]);
    const auto opened = open_file(file, other);
    REQUIRE_FALSE(opened.result);
    CHECK(opened.result.error().code == Errc::auth_failed);
  }
  SUBCASE("a truncated format 2 header")
  {
    const auto opened = open_file(std::span(file).first(40), matter_secret);
    REQUIRE_FALSE(opened.result);
    CHECK(opened.result.error().code == Errc::parse);
    CHECK(opened.result.error().message == "truncated header: the file ends after 40 of its 58 header bytes");
  }
}

TEST_CASE("matter format 2: low-order points are refused")
{
  const auto all = vectors();
  const auto v = all["valid"][0];
  const auto matter_secret = secret(v["matter_secret_key"]);
  for (const auto& point : all["low_order_ephemeral_public_keys"]) {
    CAPTURE(point.get<std::string>());
    auto file = hex(v["file"]);
    const auto bytes = hex(point);
    std::copy(bytes.begin(), bytes.end(), file.begin() + crypto::header_size);
    const auto opened = open_file(file, matter_secret);
    REQUIRE_FALSE(opened.result);
    CHECK(opened.result.error().code == Errc::auth_failed);
    CHECK(opened.result.error().message.find("low-order") != std::string::npos);

    // A matter "public key" of low order (a forged keystore row) is refused by the sender.
    MatterFileHeader header;
    header.format_version = 2;
    auto key = crypto::v2_sender_input_key(header, public_key(point));
    REQUIRE_FALSE(key);
    CHECK(key.error().code == Errc::usage);
  }
}

TEST_CASE("matter format 2: encrypt_stream and decrypt_stream round trip with fresh ephemeral keys")
{
  const auto version_secret = crypto::SecretBytes::random(32);
  REQUIRE(version_secret);
  const auto matter_secret = crypto::version_secret_key(*version_secret);
  REQUIRE(matter_secret);
  const auto matter_public = crypto::x25519_public_key(*matter_secret);
  REQUIRE(matter_public);
  std::vector<uint8_t> plaintext(40000, 0x5a);
  std::vector<std::vector<uint8_t>> files;
  for (int i = 0; i < 2; ++i) {
    MatterFileHeader header;
    header.format_version = 2;
    header.key_version = 4;
    auto key = crypto::v2_sender_input_key(header, *matter_public);
    REQUIRE(key);
    const int in = test::memfd_with(plaintext);
    const int out = ::memfd_create("out", MFD_CLOEXEC);
    auto stats = crypto::encrypt_stream(in, out, header, *key, crypto::StreamOptions{});
    REQUIRE(stats);
    files.push_back(test::contents(out));
    ::close(in);
    ::close(out);
    CHECK(files.back().size() == crypto::header_v2_size + crypto::cobblestone::sealed_size(plaintext.size()));
    const auto opened = open_file(files.back(), *matter_secret);
    REQUIRE(opened.result);
    CHECK(opened.plaintext == plaintext);
  }
  // Every file has its own ephemeral key, hence its own input key.
  CHECK(!std::equal(files[0].begin() + 26, files[0].begin() + 58, files[1].begin() + 26));
}
