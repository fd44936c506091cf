// Wycheproof vectors through our code: every Cobblestone-256 vector (in memory, streaming, salt-injected
// re-encryption, derived key and nonce) and every AES-256 96-bit-IV AES-GCM vector.

#include "crypto/aead.hpp"
#include "crypto/cobblestone.hpp"
#include "crypto/matter_file.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <zlib.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

using namespace complycli;
namespace cb = complycli::crypto::cobblestone;

namespace {

nlohmann::json load_vectors(const std::string& name)
{
  const auto text = util::read_file(std::filesystem::path(COMPLYCLI_TEST_DATA) / "wycheproof" / name);
  REQUIRE(text);
  return nlohmann::json::parse(*text);
}

std::vector<uint8_t> hex(const nlohmann::json& value)
{
  auto bytes = util::from_hex(value.get<std::string>());
  REQUIRE(bytes);
  return *bytes;
}

std::vector<uint8_t> inflate(const std::vector<uint8_t>& compressed)
{
  z_stream stream{};
  REQUIRE(inflateInit(&stream) == Z_OK);
  std::vector<uint8_t> out;
  std::vector<uint8_t> buffer(1 << 16);
  stream.next_in = const_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = buffer.data();
    stream.avail_out = static_cast<uInt>(buffer.size());
    rc = ::inflate(&stream, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.insert(out.end(), buffer.data(), buffer.data() + (buffer.size() - stream.avail_out));
  }
  inflateEnd(&stream);
  return out;
}

std::string sha512_hex(std::span<const uint8_t> data)
{
  std::array<uint8_t, 64> digest{};
  unsigned int len = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha512(), nullptr) == 1);
  return util::to_hex(digest);
}

using test::contents;
using test::memfd_with;

} // namespace

TEST_CASE("cobblestone: every Wycheproof Cobblestone-256 vector")
{
  const auto doc = load_vectors("c2sp_chunked_encryption_aes_256_gcm_test.json");
  int applied = 0;
  for (const auto& group : doc["testGroups"]) {
    REQUIRE(group["aead"] == "AEAD_AES_256_GCM");
    REQUIRE(group["sha"] == "SHA-512");
    for (const auto& test : group["tests"]) {
      const auto id = test["tcId"].get<int>();
      CAPTURE(id);
      const std::string comment = test["comment"];
      CAPTURE(comment);
      const auto key = hex(test["key"]);
      const auto context = hex(test["ctx"]);
      const auto sealed = inflate(hex(test["ct"]));
      const bool valid = test["result"] == "valid";
      const auto flags = test["flags"].get<std::vector<std::string>>();
      const auto has_flag = [&](std::string_view flag) { return std::ranges::find(flags, flag) != flags.end(); };

      // In memory.
      auto opened = cb::open_message(key, context, sealed);
      if (valid) {
        REQUIRE(opened);
        CHECK(opened->size() == test["msgLength"].get<std::size_t>());
        CHECK(sha512_hex(*opened) == test["msgSha512"].get<std::string>());
      } else {
        REQUIRE_FALSE(opened);
        CHECK(opened.error().code == (has_flag("InvalidKeySize") ? Errc::internal : Errc::auth_failed));
      }

      // Streaming, from one file descriptor to another, with the pipeline.
      const int in = memfd_with(sealed);
      const int out = ::memfd_create("out", MFD_CLOEXEC);
      REQUIRE(out >= 0);
      auto streamed = crypto::decrypt_payload(in, out, key, context, {}, crypto::StreamOptions{});
      const auto produced = contents(out);
      if (valid) {
        REQUIRE(streamed);
        CHECK(streamed->plaintext_bytes == produced.size());
        CHECK(streamed->ciphertext_bytes == sealed.size());
        std::array<uint8_t, 32> digest{};
        unsigned int len = 0;
        REQUIRE(EVP_Digest(sealed.data(), sealed.size(), digest.data(), &len, EVP_sha256(), nullptr) == 1);
        CHECK(streamed->ciphertext_sha256 == digest);
        CHECK(sha512_hex(produced) == test["msgSha512"].get<std::string>());
      } else {
        REQUIRE_FALSE(streamed);
        CHECK(streamed.error().code == (has_flag("InvalidKeySize") ? Errc::internal : Errc::auth_failed));
        // Never more than the validly encrypted prefix, and that prefix exactly.
        if (has_flag("PartialPlaintext")) {
          const auto prefix = test["msgLength"].get<std::size_t>();
          CHECK(produced.size() <= prefix);
          if (produced.size() == prefix) {
            CHECK(sha512_hex(produced) == test["msgSha512"].get<std::string>());
          }
        } else {
          CHECK(produced.empty());
        }
      }
      ::close(in);
      ::close(out);

      if (valid) {
        // The derived key and base nonce (the vectors' raw-mode values).
        cb::Salt salt{};
        std::memcpy(salt.data(), sealed.data(), salt.size());
        auto keys = cb::derive(key, salt, context);
        REQUIRE(keys);
        CHECK(util::to_hex(keys->key.view()) == test["aeadKey"].get<std::string>());
        CHECK(util::to_hex(keys->base_nonce) == test["baseNonce"].get<std::string>());
        // Re-encryption with the vector's salt reproduces the ciphertext exactly.
        auto resealed = cb::seal_message(key, context, *opened, salt);
        REQUIRE(resealed);
        CHECK(*resealed == sealed);
        // Streaming encryption round-trips.
        const int plain = memfd_with(*opened);
        const int enc = ::memfd_create("enc", MFD_CLOEXEC);
        auto encrypted = crypto::encrypt_payload(plain, enc, key, context, {}, crypto::StreamOptions{});
        REQUIRE(encrypted);
        const auto ours = contents(enc);
        CHECK(ours.size() == sealed.size());
        CHECK(encrypted->ciphertext_bytes == ours.size());
        auto back = cb::open_message(key, context, ours);
        REQUIRE(back);
        CHECK(*back == *opened);
        ::close(plain);
        ::close(enc);
      }
      ++applied;
    }
  }
  CHECK(applied == doc["numberOfTests"].get<int>());
}

TEST_CASE("cobblestone: decryption errors name what failed")
{
  const auto doc = load_vectors("c2sp_chunked_encryption_aes_256_gcm_test.json");
  std::map<int, std::string> expected = {
      {11, "chunk 0, the last in the file, failed authentication"},
      {13, "chunk 1 failed authentication"},
      {16, "file ends before its final chunk"},
      {19, "file ends before its final chunk"},
      {20, "file ends before its final chunk"},
      {21, "key commitment does not match"},
      {22, "key commitment does not match"},
      {25, "key commitment does not match"},
      {28, "file ends before its final chunk"},
      {31, "file ends before its final chunk"},
      {33, "chunk 0 is out of place: it is chunk 1"},
      {34, "chunk 1 is out of place: it is chunk 0"},
      {35, "unexpected 17 bytes after the final chunk (chunk 1)"},
  };
  for (const auto& test : doc["testGroups"][0]["tests"]) {
    const auto id = test["tcId"].get<int>();
    if (!expected.contains(id)) {
      continue;
    }
    CAPTURE(id);
    auto opened = cb::open_message(hex(test["key"]), hex(test["ctx"]), inflate(hex(test["ct"])));
    REQUIRE_FALSE(opened);
    CAPTURE(opened.error().message);
    CHECK(opened.error().message.find(expected[id]) != std::string::npos);
  }
}

TEST_CASE("aead: every AES-256 96-bit-IV Wycheproof AES-GCM vector")
{
  const auto doc = load_vectors("aes_gcm_test.json");
  int applied = 0;
  for (const auto& group : doc["testGroups"]) {
    if (group["keySize"] != 256 || group["ivSize"] != 96) {
      continue;
    }
    REQUIRE(group["tagSize"] == 128);
    for (const auto& test : group["tests"]) {
      const auto id = test["tcId"].get<int>();
      CAPTURE(id);
      const auto key = hex(test["key"]);
      const auto iv = hex(test["iv"]);
      const auto aad = hex(test["aad"]);
      const auto msg = hex(test["msg"]);
      const auto ct = hex(test["ct"]);
      const auto tag = hex(test["tag"]);
      REQUIRE(iv.size() == crypto::gcm_nonce_size);
      REQUIRE(tag.size() == crypto::gcm_tag_size);
      crypto::GcmNonce nonce{};
      std::memcpy(nonce.data(), iv.data(), nonce.size());
      const bool valid = test["result"] == "valid";

      auto opener = crypto::Aes256Gcm::create(key, crypto::Direction::open);
      REQUIRE(opener);
      std::vector<uint8_t> plain(ct.size());
      auto opened = opener->open(nonce, ct, plain, std::span(tag).first<crypto::gcm_tag_size>(), aad);
      if (valid) {
        REQUIRE(opened);
        CHECK(plain == msg);
        auto sealer = crypto::Aes256Gcm::create(key, crypto::Direction::seal);
        REQUIRE(sealer);
        std::vector<uint8_t> out(msg.size());
        std::array<uint8_t, crypto::gcm_tag_size> out_tag{};
        REQUIRE(sealer->seal(nonce, msg, out, out_tag, aad));
        CHECK(out == ct);
        CHECK(std::vector<uint8_t>(out_tag.begin(), out_tag.end()) == tag);
      } else {
        REQUIRE_FALSE(opened);
        CHECK(opened.error().code == Errc::auth_failed);
      }
      ++applied;
    }
  }
  CHECK(applied == 66);
}

TEST_CASE("aead: one-shot seal and open")
{
  const std::vector<uint8_t> key(32, 7);
  const std::vector<uint8_t> other(32, 8);
  const std::string text = "privileged and confidential";
  const std::vector<uint8_t> message(text.begin(), text.end());
  const std::vector<uint8_t> aad = {'m', '1'};
  auto sealed = crypto::seal(key, message, aad);
  REQUIRE(sealed);
  CHECK(sealed->size() == message.size() + crypto::gcm_nonce_size + crypto::gcm_tag_size);
  auto opened = crypto::open(key, *sealed, aad);
  REQUIRE(opened);
  CHECK(*opened == message);
  CHECK(crypto::open(other, *sealed, aad).error().code == Errc::auth_failed);
  CHECK(crypto::open(key, *sealed, {}).error().code == Errc::auth_failed);
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    auto flipped = *sealed;
    flipped[i] ^= 0x01;
    CHECK(crypto::open(key, flipped, aad).error().code == Errc::auth_failed);
  }
  for (std::size_t n = 0; n < sealed->size(); ++n) {
    CHECK(crypto::open(key, std::span(*sealed).first(n), aad).error().code == Errc::auth_failed);
  }
  CHECK(crypto::Aes256Gcm::create(std::span(key).first(16), crypto::Direction::seal).error().code == Errc::internal);
}
