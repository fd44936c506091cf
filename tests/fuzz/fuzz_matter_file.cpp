// libFuzzer target: the input is a matter file (header and Cobblestone payload), decrypted under a
// fixed test key three ways that must agree: streamed from a regular file (on the calling thread),
// streamed from a pipe (the threaded pipeline) and whole in memory. Seeds under seeds/matter_file/
// are encrypted under this key (docs/fuzzing.md says how they were made).
#include "fuzz_support.hpp"

#include "crypto/cobblestone.hpp"
#include "crypto/matter_file.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <span>
#include <vector>

namespace {

using namespace complycli;

constexpr auto& test_key = fuzz::matter_test_key;

struct Fd {
  int fd = -1;
  ~Fd()
  {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

std::vector<uint8_t> contents(int fd)
{
  std::vector<uint8_t> out(static_cast<std::size_t>(::lseek(fd, 0, SEEK_END)));
  if (::pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) {
    std::abort();
  }
  return out;
}

// Decrypt through the streaming API the way `complycli decrypt` does: read the header, then the rest.
// Returns the plaintext, or nullopt when the file is rejected.
std::optional<std::vector<uint8_t>> decrypt(int in_fd, const crypto::SecretBytes& key, unsigned threads)
{
  const auto header = crypto::read_header(in_fd);
  if (!header) {
    return std::nullopt;
  }
  Fd out{::memfd_create("plaintext", 0)};
  crypto::StreamOptions options;
  options.threads = threads;
  if (!crypto::decrypt_stream(in_fd, out.fd, *header, key, options)) {
    return std::nullopt;
  }
  return contents(out.fd);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  static const auto key = fuzz::need(crypto::SecretBytes::copy_of(test_key));
  const std::span<const uint8_t> input(data, size);

  // 1. A regular file.
  Fd file{::memfd_create("matter", 0)};
  if (size > 0 && ::write(file.fd, data, size) != static_cast<ssize_t>(size)) {
    std::abort();
  }
  ::lseek(file.fd, 0, SEEK_SET);
  const auto from_file = decrypt(file.fd, key, 1);

  // 2. A pipe: the threaded pipeline (inputs that fit the pipe's buffer, written before reading).
  std::optional<std::optional<std::vector<uint8_t>>> from_pipe;
  if (size <= 60000) {
    int fds[2];
    if (::pipe(fds) != 0) {
      std::abort();
    }
    Fd read_end{fds[0]};
    {
      Fd write_end{fds[1]};
      if (size > 0 && ::write(write_end.fd, data, size) != static_cast<ssize_t>(size)) {
        std::abort();
      }
    }
    from_pipe = decrypt(read_end.fd, key, 2);
  }

  // 3. In memory: the header, then the whole payload at once.
  std::optional<std::vector<uint8_t>> in_memory;
  if (const auto header = crypto::parse_header(input)) {
    const std::size_t header_bytes = crypto::encoded_header_size(header->format_version);
    if (size >= header_bytes) {
      const auto context = crypto::header_context(*header);
      if (auto plain = crypto::cobblestone::open_message(test_key, context, input.subspan(header_bytes))) {
        in_memory = std::move(*plain);
      }
    }
  }

  if (from_file != in_memory || (from_pipe && *from_pipe != in_memory)) {
    std::abort(); // the decryptors disagree: one of them accepts what another rejects
  }
  return 0;
}
