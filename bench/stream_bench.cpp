// stream_bench: times the crypto core's streaming encryption and decryption of one file, to /dev/null or
// to a file, and reports throughput and peak RSS. Used by bench/crypto.sh; not a test.
//
//   stream_bench encrypt|decrypt INPUT OUTPUT [--no-digest] [--threads N]
//
// `encrypt` reads plaintext INPUT and writes a matter file; `decrypt` reads a matter file. OUTPUT may
// be /dev/null or `-` (stdout). Files are opened with O_TRUNC and not fsynced (as cp does).

#include "crypto/matter_file.hpp"
#include "crypto/secret.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace complycli;

int main(int argc, char** argv)
{
  if (argc < 4) {
    fmt::print(stderr, "usage: stream_bench encrypt|decrypt INPUT OUTPUT [--no-digest] [--threads N]\n");
    return 2;
  }
  if (sodium_init() < 0) {
    return 4;
  }
  const std::string mode = argv[1];
  crypto::StreamOptions options;
  for (int i = 4; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-digest") == 0) {
      options.digest = crypto::Digest::none;
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      options.threads = static_cast<unsigned>(std::atoi(argv[++i]));
    } else {
      fmt::print(stderr, "stream_bench: unknown option {}\n", argv[i]);
      return 2;
    }
  }
  const int in = ::open(argv[2], O_RDONLY | O_CLOEXEC);
  const bool to_stdout = std::strcmp(argv[3], "-") == 0;
  const int out = to_stdout ? STDOUT_FILENO : ::open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in < 0 || out < 0) {
    fmt::print(stderr, "stream_bench: cannot open {} or {}: {}\n", argv[2], argv[3], std::strerror(errno));
    return 3;
  }
  // A fixed benchmark key (the data is random test data).
  auto key = crypto::SecretBytes::allocate(crypto::data_key_size).value();
  std::memset(key.data(), 0x42, key.size());
  crypto::MatterFileHeader header;
  header.matter_id.fill(0x11);

  const auto start = std::chrono::steady_clock::now();
  Result<crypto::StreamStats> stats = crypto::StreamStats{};
  if (mode == "encrypt") {
    stats = crypto::encrypt_stream(in, out, header, key, options);
  } else if (mode == "decrypt") {
    auto parsed = crypto::read_header(in);
    stats = parsed ? crypto::decrypt_stream(in, out, *parsed, key, options) : std::unexpected(parsed.error());
  } else {
    fmt::print(stderr, "stream_bench: unknown mode {}\n", mode);
    return 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!stats) {
    fmt::print(stderr, "stream_bench: {}\n", stats.error().message);
    return 1;
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  fmt::print(stderr, "{} {} plaintext bytes in {:.3f} s: {:.2f} GB/s, peak RSS {:.1f} MiB{}\n", mode,
             stats->plaintext_bytes, seconds, static_cast<double>(stats->plaintext_bytes) / seconds / 1e9,
             static_cast<double>(usage.ru_maxrss) / 1024.0,
             options.digest == crypto::Digest::none ? " (no digest)" : " (with SHA-256)");
  return 0;
}
