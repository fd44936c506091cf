// Matter files: the header, streaming round trips through pipes and files, and tamper loops.

#include "crypto/cobblestone.hpp"
#include "crypto/matter_file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

using namespace complycli;
using crypto::MatterFileHeader;

namespace {

constexpr std::size_t chunk = 16384;
constexpr std::size_t sealed_chunk = 16400;
constexpr std::size_t payload_start = crypto::header_size + crypto::payload_prefix_size; // 82

std::vector<uint8_t> random_bytes(std::size_t n)
{
  std::vector<uint8_t> data(n);
  if (n > 0) {
    REQUIRE(RAND_bytes(data.data(), static_cast<int>(n)) == 1);
  }
  return data;
}

crypto::SecretBytes random_key()
{
  auto key = crypto::SecretBytes::random(crypto::data_key_size);
  REQUIRE(key);
  return std::move(*key);
}

MatterFileHeader test_header()
{
  MatterFileHeader header;
  for (std::size_t i = 0; i < header.matter_id.size(); ++i) {
    header.matter_id[i] = static_cast<uint8_t>(0xa0 + i);
  }
  header.key_version = 3;
  return header;
}

using test::contents;
using test::memfd_with;

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data)
{
  std::array<uint8_t, 32> digest{};
  unsigned int len = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr) == 1);
  return digest;
}

std::vector<uint8_t> encrypt(std::span<const uint8_t> plaintext, const crypto::SecretBytes& key,
                             const MatterFileHeader& header = test_header())
{
  const int in = memfd_with(plaintext);
  const int out = ::memfd_create("out", MFD_CLOEXEC);
  auto stats = crypto::encrypt_stream(in, out, header, key);
  REQUIRE(stats);
  auto sealed = contents(out);
  CHECK(stats->plaintext_bytes == plaintext.size());
  CHECK(stats->ciphertext_bytes == sealed.size());
  CHECK(stats->ciphertext_sha256 == sha256(sealed));
  ::close(in);
  ::close(out);
  return sealed;
}

struct Decrypted {
  Result<crypto::StreamStats> result;
  std::vector<uint8_t> output;
};

// read_header + decrypt_stream from an in-memory file, as the CLI does.
Decrypted decrypt(std::span<const uint8_t> sealed, const crypto::SecretBytes& key, unsigned threads = 0)
{
  const int in = memfd_with(sealed);
  const int out = ::memfd_create("out", MFD_CLOEXEC);
  Decrypted d{crypto::StreamStats{}, {}};
  auto header = crypto::read_header(in);
  if (!header) {
    d.result = std::unexpected(header.error());
  } else {
    d.result = crypto::decrypt_stream(in, out, *header, key, crypto::StreamOptions{{}, crypto::Digest::sha256, threads});
  }
  d.output = contents(out);
  ::close(in);
  ::close(out);
  return d;
}

bool is_prefix(std::span<const uint8_t> part, std::span<const uint8_t> whole)
{
  return part.size() <= whole.size() && std::equal(part.begin(), part.end(), whole.begin());
}

} // namespace

TEST_CASE("crypto::header")
{
  const auto header = test_header();
  const auto bytes = crypto::encode_header(header);
  CHECK(std::string(bytes.begin(), bytes.begin() + 5) == "CMPLY");
  CHECK(bytes[5] == 1);
  CHECK(bytes[22] == 0);
  CHECK(bytes[25] == 3);

  SUBCASE("round trip")
  {
    auto parsed = crypto::parse_header(bytes);
    REQUIRE(parsed);
    CHECK(parsed->format_version == 1);
    CHECK(parsed->matter_id == header.matter_id);
    CHECK(parsed->key_version == 3);
  }
  SUBCASE("strict parsing")
  {
    const auto error_of = [](std::span<const uint8_t> b) {
      auto parsed = crypto::parse_header(b);
      REQUIRE_FALSE(parsed);
      CHECK(parsed.error().code == Errc::parse);
      return parsed.error().message;
    };
    CHECK(error_of({}) == "not a complycli matter file: it is empty");
    const std::string text = "hello, world, this is plain text";
    CHECK(error_of({reinterpret_cast<const uint8_t*>(text.data()), text.size()}).starts_with("not a complycli matter"));
    CHECK(error_of(std::span(bytes).first(3)).starts_with("truncated header"));
    CHECK(error_of(std::span(bytes).first(25)).starts_with("truncated header"));
    auto newer = bytes;
    newer[5] = 3;
    CHECK(error_of(newer) == "unsupported format version 3 (this complycli reads versions 1 and 2)");
    auto zero = bytes;
    zero[25] = 0;
    CHECK(error_of(zero) == "invalid header: key version 0");
  }
  SUBCASE("the context binds every header byte")
  {
    auto other = header;
    other.key_version = 4;
    CHECK(crypto::header_context(header) != crypto::header_context(other));
    const auto context = crypto::header_context(header);
    CHECK(context.size() == 21 + 1 + crypto::header_size);
    CHECK(std::string(context.begin(), context.begin() + 21) == "complycli/matter-file");
  }
  SUBCASE("plaintext size from the file size")
  {
    CHECK(crypto::plaintext_size_for(0) == std::nullopt);
    CHECK(crypto::plaintext_size_for(payload_start) == std::nullopt);
    CHECK(crypto::plaintext_size_for(payload_start + 16) == 0);
    CHECK(crypto::plaintext_size_for(payload_start + 16 + 5) == 5);
    CHECK(crypto::plaintext_size_for(payload_start + sealed_chunk) == std::nullopt);
    CHECK(crypto::plaintext_size_for(payload_start + sealed_chunk + 15) == std::nullopt);
    CHECK(crypto::plaintext_size_for(payload_start + sealed_chunk + 16) == chunk);
  }
}

TEST_CASE("crypto::encrypt_stream and decrypt_stream round trips")
{
  const auto key = random_key();
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, chunk - 1, chunk, chunk + 1, 3 * chunk,
                                 std::size_t{1} << 20, (std::size_t{1} << 20) + 1, 64 * chunk, 64 * chunk + 1,
                                 128 * chunk - 1}) {
    CAPTURE(size);
    const auto plaintext = random_bytes(size);
    const auto sealed = encrypt(plaintext, key);
    CHECK(sealed.size() == payload_start + (size / chunk + 1) * 16 + size);
    CHECK(crypto::plaintext_size_for(sealed.size()) == size);
    for (unsigned threads : {0U, 1U, 3U}) {
      auto d = decrypt(sealed, key, threads);
      REQUIRE(d.result);
      CHECK(d.output == plaintext);
      CHECK(d.result->plaintext_bytes == size);
      CHECK(d.result->ciphertext_bytes == sealed.size());
      CHECK(d.result->ciphertext_sha256 == sha256(sealed));
      CHECK(std::equal(d.result->salt.begin(), d.result->salt.end(), sealed.begin() + crypto::header_size));
      CHECK(std::equal(d.result->commitment.begin(), d.result->commitment.end(),
                       sealed.begin() + crypto::header_size + 24));
    }
  }
}

TEST_CASE("crypto streams through pipes")
{
  const auto key = random_key();
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, chunk - 1, chunk, chunk + 1, 3 * chunk,
                                 (std::size_t{1} << 20) + 1}) {
    CAPTURE(size);
    const auto plaintext = random_bytes(size);
    // plaintext -> pipe -> encrypt -> pipe -> decrypt -> pipe -> collected
    int p1[2];
    int p2[2];
    int p3[2];
    REQUIRE(::pipe(p1) == 0);
    REQUIRE(::pipe(p2) == 0);
    REQUIRE(::pipe(p3) == 0);
    std::thread feeder([&] {
      std::size_t done = 0;
      while (done < plaintext.size()) { // small writes: the reader sees partial reads
        const std::size_t n = std::min<std::size_t>(7000, plaintext.size() - done);
        const ssize_t w = ::write(p1[1], plaintext.data() + done, n);
        if (w <= 0) {
          break;
        }
        done += static_cast<std::size_t>(w);
      }
      ::close(p1[1]);
    });
    Result<crypto::StreamStats> encrypted = crypto::StreamStats{};
    std::thread encryptor([&] {
      encrypted = crypto::encrypt_stream(p1[0], p2[1], test_header(), key);
      ::close(p2[1]);
    });
    Result<crypto::StreamStats> decrypted = crypto::StreamStats{};
    std::thread decryptor([&] {
      auto header = crypto::read_header(p2[0]);
      if (header) {
        decrypted = crypto::decrypt_stream(p2[0], p3[1], *header, key);
      } else {
        decrypted = std::unexpected(header.error());
      }
      ::close(p3[1]);
    });
    std::vector<uint8_t> collected;
    uint8_t buffer[65536];
    for (;;) {
      const ssize_t n = ::read(p3[0], buffer, sizeof buffer);
      if (n <= 0) {
        break;
      }
      collected.insert(collected.end(), buffer, buffer + n);
    }
    feeder.join();
    encryptor.join();
    decryptor.join();
    ::close(p1[0]);
    ::close(p2[0]);
    ::close(p3[0]);
    REQUIRE(encrypted);
    REQUIRE(decrypted);
    CHECK(collected == plaintext);
    CHECK(encrypted->ciphertext_sha256 == decrypted->ciphertext_sha256);
    CHECK(encrypted->ciphertext_bytes == decrypted->ciphertext_bytes);
  }
}

TEST_CASE("crypto streams a random 50 MiB file through files")
{
  test::TestContext t;
  const auto key = random_key();
  const auto plaintext = random_bytes(50 << 20);
  const auto plain_path = t.path("plain");
  const auto sealed_path = t.path("plain.cmply");
  const auto back_path = t.path("back");
  {
    const int fd = ::open(plain_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(::write(fd, plaintext.data(), plaintext.size()) == static_cast<ssize_t>(plaintext.size()));
    ::close(fd);
  }
  const int in = ::open(plain_path.c_str(), O_RDONLY);
  const int out = ::open(sealed_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<uint64_t> progress;
  auto encrypted = crypto::encrypt_stream(in, out, test_header(), key, [&](uint64_t n) { progress.push_back(n); });
  ::close(in);
  ::close(out);
  REQUIRE(encrypted);
  CHECK(encrypted->plaintext_bytes == plaintext.size());
  REQUIRE_FALSE(progress.empty());
  CHECK(std::is_sorted(progress.begin(), progress.end()));
  CHECK(progress.back() == plaintext.size());

  const int in2 = ::open(sealed_path.c_str(), O_RDONLY);
  const int out2 = ::open(back_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto header = crypto::read_header(in2);
  REQUIRE(header);
  CHECK(header->key_version == 3);
  auto decrypted = crypto::decrypt_stream(in2, out2, *header, key);
  ::close(in2);
  ::close(out2);
  REQUIRE(decrypted);
  CHECK(decrypted->ciphertext_sha256 == encrypted->ciphertext_sha256);
  const int check = ::open(back_path.c_str(), O_RDONLY);
  CHECK(contents(check) == plaintext);
  ::close(check);
}

TEST_CASE("crypto digest can be turned off")
{
  const auto key = random_key();
  const auto plaintext = random_bytes(3 * chunk + 5);
  const int in = memfd_with(plaintext);
  const int out = ::memfd_create("out", MFD_CLOEXEC);
  auto stats = crypto::encrypt_stream(in, out, test_header(), key, crypto::StreamOptions{{}, crypto::Digest::none, 2});
  REQUIRE(stats);
  CHECK(stats->ciphertext_sha256 == std::array<uint8_t, 32>{});
  auto d = decrypt(contents(out), key);
  REQUIRE(d.result);
  CHECK(d.output == plaintext);
  ::close(in);
  ::close(out);
}

TEST_CASE("crypto tamper loops")
{
  const auto key = random_key();
  // Two full chunks and a short final one.
  const auto plaintext = random_bytes(2 * chunk + 1000);
  const auto sealed = encrypt(plaintext, key);
  REQUIRE(sealed.size() == payload_start + 2 * sealed_chunk + 1016);

  SUBCASE("flipping any byte fails, releasing only authenticated chunks")
  {
    for (std::size_t i = 0; i < sealed.size(); ++i) {
      CAPTURE(i);
      auto tampered = sealed;
      tampered[i] ^= 0x80;
      auto d = decrypt(tampered, key, 1);
      REQUIRE_FALSE(d.result);
      if (i < 6) {
        CHECK(d.result.error().code == Errc::parse); // magic, format version
      } else {
        CHECK(d.result.error().code == Errc::auth_failed);
      }
      if (i < payload_start) {
        CHECK(d.output.empty());
        if (i >= 6) {
          CHECK(d.result.error().message.find("key commitment does not match") != std::string::npos);
        }
      } else {
        const std::size_t bad_chunk = (i - payload_start) / sealed_chunk;
        CHECK(d.output.size() <= bad_chunk * chunk);
        CHECK(is_prefix(d.output, plaintext));
        CHECK(d.result.error().message.find(fmt::format("chunk {}", bad_chunk)) != std::string::npos);
      }
    }
  }
  SUBCASE("truncating to any length fails")
  {
    for (std::size_t n = 0; n < sealed.size(); ++n) {
      CAPTURE(n);
      auto d = decrypt(std::span(sealed).first(n), key, 1);
      REQUIRE_FALSE(d.result);
      CHECK(d.result.error().code == (n < crypto::header_size ? Errc::parse : Errc::auth_failed));
      CHECK(is_prefix(d.output, plaintext));
      CHECK(d.output.size() < plaintext.size());
      if (n >= crypto::header_size && n < payload_start) {
        CHECK(d.result.error().message.starts_with("file ends before its final chunk"));
      }
      if (n == payload_start || n == payload_start + sealed_chunk || n == payload_start + 2 * sealed_chunk) {
        CHECK(d.result.error().message.starts_with("file ends before its final chunk"));
      }
    }
  }
  SUBCASE("swapped, repeated and removed chunks")
  {
    auto chunk_at = [&](const std::vector<uint8_t>& file, std::size_t k) {
      return std::vector<uint8_t>(file.begin() + static_cast<std::ptrdiff_t>(payload_start + k * sealed_chunk),
                                  file.begin() + static_cast<std::ptrdiff_t>(payload_start + (k + 1) * sealed_chunk));
    };
    auto put = [&](std::vector<uint8_t>& file, std::size_t k, const std::vector<uint8_t>& c) {
      std::copy(c.begin(), c.end(), file.begin() + static_cast<std::ptrdiff_t>(payload_start + k * sealed_chunk));
    };
    auto swapped = sealed;
    put(swapped, 0, chunk_at(sealed, 1));
    put(swapped, 1, chunk_at(sealed, 0));
    auto d = decrypt(swapped, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().code == Errc::auth_failed);
    CHECK(d.result.error().message.starts_with("chunk 0 is out of place: it is chunk 1"));
    CHECK(d.output.empty());

    auto repeated = sealed;
    put(repeated, 1, chunk_at(sealed, 0));
    d = decrypt(repeated, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().message.starts_with("chunk 1 is out of place: it is chunk 0"));
    CHECK(d.output == std::vector<uint8_t>(plaintext.begin(), plaintext.begin() + chunk));

    auto removed = sealed;
    removed.erase(removed.begin() + static_cast<std::ptrdiff_t>(payload_start),
                  removed.begin() + static_cast<std::ptrdiff_t>(payload_start + sealed_chunk));
    d = decrypt(removed, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().message.starts_with("chunk 0 is out of place: it is chunk 1"));

    auto inserted = sealed;
    const auto extra = chunk_at(sealed, 1);
    inserted.insert(inserted.begin() + static_cast<std::ptrdiff_t>(payload_start + 2 * sealed_chunk), extra.begin(),
                    extra.end());
    d = decrypt(inserted, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().message.starts_with("chunk 2 is out of place: it is chunk 1"));
  }
  SUBCASE("appended bytes")
  {
    for (std::size_t extra : {1, 15, 16, 17, 100, 256}) {
      CAPTURE(extra);
      auto longer = sealed;
      const auto junk = random_bytes(extra);
      longer.insert(longer.end(), junk.begin(), junk.end());
      auto d = decrypt(longer, key);
      REQUIRE_FALSE(d.result);
      CHECK(d.result.error().code == Errc::auth_failed);
      CHECK(d.result.error().message ==
            fmt::format("unexpected {} byte{} after the final chunk (chunk 2)", extra, extra == 1 ? "" : "s"));
      CHECK(d.output.size() <= 2 * chunk);
    }
    // Enough bytes to fill the final chunk: reported as the last chunk failing.
    auto longer = sealed;
    const auto junk = random_bytes(20000);
    longer.insert(longer.end(), junk.begin(), junk.end());
    auto d = decrypt(longer, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().code == Errc::auth_failed);
    CHECK(d.result.error().message.starts_with("chunk 2"));
  }
  SUBCASE("a changed matter id or key version, another file's header, or a wrong key")
  {
    auto other = test_header();
    other.matter_id[0] ^= 1;
    auto moved = sealed;
    const auto other_bytes = crypto::encode_header(other);
    std::copy(other_bytes.begin(), other_bytes.end(), moved.begin());
    auto d = decrypt(moved, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().code == Errc::auth_failed);
    CHECK(d.result.error().message.starts_with("the key commitment does not match"));
    CHECK(d.output.empty());

    auto bumped = sealed;
    bumped[25] = 4;
    d = decrypt(bumped, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().message.starts_with("the key commitment does not match"));

    // A file of the same matter and key version, encrypted separately: its header is identical, but
    // its salt and commitment are not interchangeable.
    const auto second = encrypt(plaintext, key);
    auto spliced = sealed;
    std::copy(second.begin() + crypto::header_size, second.begin() + payload_start,
              spliced.begin() + crypto::header_size);
    d = decrypt(spliced, key);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().message.starts_with("chunk 0"));
    CHECK(d.output.empty());

    d = decrypt(sealed, random_key());
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().message.starts_with("the key commitment does not match"));
    CHECK(d.output.empty());
  }
  SUBCASE("write errors are io errors")
  {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    ::close(p[0]); // the reader went away: EPIPE (SIGPIPE is ignored by the test runner below)
    const int in = memfd_with(sealed);
    auto header = crypto::read_header(in);
    REQUIRE(header);
    auto previous = ::signal(SIGPIPE, SIG_IGN);
    auto r = crypto::decrypt_stream(in, p[1], *header, key);
    ::signal(SIGPIPE, previous);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::io);
    ::close(p[1]);
    ::close(in);
  }
}

TEST_CASE("crypto tampering in a multi-batch file, through files and pipes")
{
  const auto key = random_key();
  const auto plaintext = random_bytes(3 * (std::size_t{1} << 20) + 5); // 193 chunks: several batches
  const auto sealed = encrypt(plaintext, key);
  const auto chunk_offset = [](std::size_t k) { return payload_start + k * sealed_chunk; };

  // Decrypt reading from a pipe fed by a thread (the pipeline's threaded path with poll()).
  const auto decrypt_piped = [&](std::span<const uint8_t> file) {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    std::thread feeder([&] {
      auto previous = ::signal(SIGPIPE, SIG_IGN);
      std::size_t done = 0;
      while (done < file.size()) {
        const ssize_t n = ::write(p[1], file.data() + done, std::min<std::size_t>(100000, file.size() - done));
        if (n <= 0) {
          break;
        }
        done += static_cast<std::size_t>(n);
      }
      ::close(p[1]);
      ::signal(SIGPIPE, previous);
    });
    const int out = ::memfd_create("out", MFD_CLOEXEC);
    Decrypted d{crypto::StreamStats{}, {}};
    auto header = crypto::read_header(p[0]);
    if (!header) {
      d.result = std::unexpected(header.error());
    } else {
      d.result = crypto::decrypt_stream(p[0], out, *header, key);
    }
    ::close(p[0]); // an early error leaves the feeder with EPIPE
    feeder.join();
    d.output = contents(out);
    ::close(out);
    return d;
  };

  for (int piped = 0; piped < 2; ++piped) {
    CAPTURE(piped);
    const auto run = [&](std::span<const uint8_t> file) { return piped ? decrypt_piped(file) : decrypt(file, key); };

    auto d = run(sealed);
    REQUIRE(d.result);
    CHECK(d.output == plaintext);

    for (const std::size_t k : {std::size_t{0}, std::size_t{63}, std::size_t{64}, std::size_t{100}, std::size_t{192}}) {
      CAPTURE(k);
      auto tampered = sealed;
      tampered[chunk_offset(k) + 7] ^= 0x01;
      d = run(tampered);
      REQUIRE_FALSE(d.result);
      CHECK(d.result.error().code == Errc::auth_failed);
      CHECK(d.result.error().message.find(fmt::format("chunk {}", k)) != std::string::npos);
      CHECK(d.output.size() <= k * chunk);
      CHECK(is_prefix(d.output, plaintext));
    }
    for (const std::size_t k : {std::size_t{64}, std::size_t{128}, std::size_t{192}}) {
      CAPTURE(k);
      d = run(std::span(sealed).first(chunk_offset(k))); // cut at a chunk (and batch) boundary
      REQUIRE_FALSE(d.result);
      CHECK(d.result.error().message == fmt::format("file ends before its final chunk (truncated at chunk {})", k));
      CHECK(is_prefix(d.output, plaintext));
    }
    auto longer = sealed;
    longer.push_back(0);
    d = run(longer);
    REQUIRE_FALSE(d.result);
    CHECK(d.result.error().message == "unexpected 1 byte after the final chunk (chunk 192)");
  }
}

TEST_CASE("crypto: an early failure does not wait for an input that never ends")
{
  const auto key = random_key();
  const auto plaintext = random_bytes(2 * (std::size_t{1} << 20));
  auto sealed = encrypt(plaintext, key);
  sealed[payload_start + 3] ^= 0x01; // chunk 0 fails
  int p[2];
  REQUIRE(::pipe(p) == 0);
  std::atomic<bool> done{false};
  std::thread feeder([&] {
    // Send the first batch and a half, then stall with the pipe open, like a producer that is still
    // running: the reader is then blocked waiting for input when chunk 0 has already failed.
    const std::size_t stall_at = 3 * (std::size_t{1} << 19);
    std::size_t sent = 0;
    while (sent < stall_at) {
      const ssize_t n = ::write(p[1], sealed.data() + sent, stall_at - sent);
      if (n <= 0) {
        break;
      }
      sent += static_cast<std::size_t>(n);
    }
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::close(p[1]);
  });
  const int out = ::memfd_create("out", MFD_CLOEXEC);
  auto header = crypto::read_header(p[0]);
  REQUIRE(header);
  // Read the 56-byte prefix and the chunks in another thread so a hang fails the test instead of
  // blocking it forever.
  std::atomic<bool> finished{false};
  Result<crypto::StreamStats> result = crypto::StreamStats{};
  std::thread decryptor([&] {
    result = crypto::decrypt_stream(p[0], out, *header, key);
    finished = true;
  });
  for (int i = 0; i < 1000 && !finished; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool returned_while_open = finished;
  ::close(p[0]); // unblock the feeder's write and, if it hung, the decryptor's read
  done = true;
  decryptor.join();
  feeder.join();
  CHECK(returned_while_open);
  REQUIRE_FALSE(result);
  CHECK(result.error().message.starts_with("chunk 0"));
  CHECK(contents(out).empty());
  ::close(out);
}

TEST_CASE("crypto: a regular input is read at offsets from where its descriptor stands")
{
  // Workers pread a regular input; the stream starts at the descriptor's offset (here after 1,000
  // bytes the caller consumed) and leaves the offset at the end, as sequential reads would.
  const auto key = random_key();
  const auto plaintext = random_bytes(5 * (std::size_t{1} << 20) + 123);
  const int in = memfd_with(plaintext);
  REQUIRE(::lseek(in, 1000, SEEK_SET) == 1000);
  const int out = ::memfd_create("out", MFD_CLOEXEC);
  auto stats = crypto::encrypt_stream(in, out, test_header(), key, crypto::StreamOptions{{}, crypto::Digest::none, 2});
  REQUIRE(stats);
  CHECK(stats->plaintext_bytes == plaintext.size() - 1000);
  CHECK(::lseek(in, 0, SEEK_CUR) == static_cast<off_t>(plaintext.size()));
  auto d = decrypt(contents(out), key);
  REQUIRE(d.result);
  CHECK(d.output == std::vector<uint8_t>(plaintext.begin() + 1000, plaintext.end()));
  ::close(in);
  ::close(out);
}

TEST_CASE("crypto: an input that changes size while it is encrypted is an error")
{
  const auto key = random_key();
  const auto plaintext = random_bytes(20 * (std::size_t{1} << 20));
  for (const bool grow : {true, false}) {
    CAPTURE(grow);
    const int in = memfd_with(plaintext);
    const int out = ::memfd_create("out", MFD_CLOEXEC);
    bool changed = false;
    // The progress callback runs on the calling thread after each batch is written: change the input
    // there, after the first batch.
    const auto change = [&](uint64_t) {
      if (!changed) {
        changed = true;
        if (grow) {
          const uint8_t more[10] = {};
          REQUIRE(::pwrite(in, more, sizeof more, static_cast<off_t>(plaintext.size())) == sizeof more);
        } else {
          REQUIRE(::ftruncate(in, 1 << 20) == 0);
        }
      }
    };
    auto stats = crypto::encrypt_stream(in, out, test_header(), key, crypto::StreamOptions{change, crypto::Digest::none, 2});
    REQUIRE_FALSE(stats);
    CHECK(stats.error().code == Errc::io);
    const auto& message = stats.error().message;
    CHECK((message.starts_with("the input changed size while it was read") ||
           message == "the input became shorter while it was read"));
    ::close(in);
    ::close(out);
  }
}
