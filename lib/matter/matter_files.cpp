#include "matter/matter_files.hpp"

#include "crypto/matter_v2.hpp"
#include "util/hex.hpp"
#include "util/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

namespace complycli::matter {

using crypto::SecretBytes;
using crypto::StreamStats;

namespace {

using Fd = util::UniqueFd;

Result<Fd> open_input(const std::string& path)
{
  if (path == "-") {
    return Fd(::dup(STDIN_FILENO));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::io, "cannot open {}: {}", path, std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail_with_hint(Errc::usage, "use -r for folders", "{} is a folder", path);
  }
  return Fd(fd);
}

// A thread that runs `produce(write_fd)` and closes the write end when done; the caller reads.
class Producer {
public:
  explicit Producer(std::function<Result<StreamStats>(int)> produce)
  {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      m_result = fail(Errc::io, "cannot create a pipe: {}", std::strerror(errno));
      return;
    }
    ::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    m_read = Fd(fds[0]);
    m_thread = std::thread([this, write_fd = fds[1], produce = std::move(produce)] {
      m_result = produce(write_fd);
      ::close(write_fd);
    });
  }
  ~Producer() { (void)finish(); }
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  int read_fd() const { return m_read.get(); }

  // Stop reading (the producer sees EPIPE if it is not done), wait, and return its result.
  Result<StreamStats>& finish()
  {
    m_read.reset();
    if (m_thread.joinable()) {
      m_thread.join();
    }
    return m_result;
  }

private:
  Fd m_read;
  std::thread m_thread;
  Result<StreamStats> m_result = StreamStats{};
};

Result<std::size_t> read_full(int fd, uint8_t* data, std::size_t size)
{
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(Errc::io, "read failed: {}", std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

// Whether two streams hold the same bytes.
Result<bool> same_bytes(int a, int b)
{
  std::vector<uint8_t> left(1 << 16);
  std::vector<uint8_t> right(1 << 16);
  while (true) {
    const auto n = TRY(read_full(a, left.data(), left.size()));
    const auto m = TRY(read_full(b, right.data(), right.size()));
    if (n != m || std::memcmp(left.data(), right.data(), n) != 0) {
      return false;
    }
    if (n == 0) {
      return true;
    }
  }
}

bool same_header(const crypto::MatterFileHeader& a, const crypto::MatterFileHeader& b)
{
  return a.format_version == b.format_version && a.matter_id == b.matter_id && a.key_version == b.key_version &&
         a.ephemeral_public == b.ephemeral_public;
}

// Decrypt the file at `path` (a complete matter file) into a pipe, for comparison.
Producer decrypt_into_pipe(const std::string& path, const SecretBytes& key, const crypto::MatterFileHeader& expected)
{
  return Producer([path, &key, expected](int out_fd) -> Result<StreamStats> {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return fail(Errc::io, "cannot reopen {}: {}", path, std::strerror(errno));
    }
    Fd in(fd);
    const auto header = TRY(crypto::read_header(in.get()));
    if (!same_header(header, expected)) {
      return fail(Errc::auth_failed, "{} has an unexpected header", path);
    }
    return crypto::decrypt_stream(in.get(), out_fd, header, key);
  });
}

mode_t mode_of(int fd, mode_t fallback)
{
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? (st.st_mode & 07777) : fallback;
}

} // namespace

Result<keystore::Matter> Keyring::matter_for(const crypto::MatterFileHeader& header) const
{
  auto matter = m_store.find_by_id(header.matter_id);
  if (!matter) {
    return fail_with_hint(Errc::auth_failed, "`complycli matter import` adds a matter exported from another workspace",
                          "this workspace has no matter with id {}", util::to_hex(header.matter_id));
  }
  return std::move(*matter);
}

Result<const SecretBytes*> Keyring::key(const keystore::Matter& matter, uint32_t version)
{
  const auto slot = std::make_pair(matter.id, version);
  if (auto it = m_keys.find(slot); it != m_keys.end()) {
    return &it->second;
  }
  auto key = TRY(m_store.unwrap(matter, version, m_unlock));
  auto [it, inserted] = m_keys.emplace(slot, std::move(key));
  return &it->second;
}

uint8_t format_for(const keystore::Matter& matter)
{
  return matter.newest_public_key() ? crypto::current_format_version : crypto::legacy_format_version;
}

namespace {

// The header and input key of a new file for the newest key version of `matter`.
Result<SecretBytes> new_file_key(const keystore::Matter& matter, Keyring& keyring, crypto::MatterFileHeader& header)
{
  header.matter_id = matter.id;
  header.key_version = matter.newest_version();
  header.format_version = format_for(matter);
  if (const auto public_key = matter.newest_public_key()) {
    return crypto::v2_sender_input_key(header, *public_key);
  }
  const SecretBytes* key = TRY(keyring.key(matter, header.key_version));
  return SecretBytes::copy_of(key->view());
}

} // namespace

Result<SecretBytes> Keyring::input_key(const keystore::Matter& matter, const crypto::MatterFileHeader& header)
{
  const SecretBytes* key = TRY(this->key(matter, header.key_version));
  if (header.format_version == crypto::legacy_format_version) {
    return SecretBytes::copy_of(key->view());
  }
  const auto secret_key = TRY(crypto::version_secret_key(*key));
  return crypto::v2_recipient_input_key(header, secret_key);
}

Result<FileReport> encrypt_file(const std::string& input, const std::string& output, const keystore::Matter& matter,
                                Keyring& keyring, util::Overwrite overwrite, RemoveSource remove_source,
                                crypto::Digest digest, const crypto::ProgressFn& progress)
{
  if (matter.shredded_at) {
    return fail(Errc::usage, "matter \"{}\" was shredded on {}: nothing can be encrypted for it", matter.name,
                *matter.shredded_at);
  }
  if (remove_source == RemoveSource::yes && (input == "-" || output == "-")) {
    return fail(Errc::usage, "--remove-source needs a file input and a file output");
  }
  if (remove_source == RemoveSource::yes && util::writes_in_place(output)) {
    return fail(Errc::usage, "--remove-source needs a regular output file: {} cannot be read back to check it",
                output);
  }
  FileReport report;
  report.matter = matter.name;
  const auto input_key = TRY(new_file_key(matter, keyring, report.header));
  const SecretBytes* key = &input_key;
  auto in = TRY(open_input(input));
  report.digest = digest == crypto::Digest::sha256;
  const crypto::StreamOptions options{progress, digest, 0};
  if (output == "-") {
    report.stats = TRY(crypto::encrypt_stream(in.get(), STDOUT_FILENO, report.header, *key, options));
    return report;
  }
  auto file = TRY(util::AtomicFile::create(output, overwrite, 0644));
  report.stats = TRY(crypto::encrypt_stream(in.get(), file.fd(), report.header, *key, options));
  if (remove_source == RemoveSource::yes) {
    if (::fsync(file.fd()) != 0) {
      return fail(Errc::io, "cannot sync {}: {}", output, std::strerror(errno));
    }
    if (::lseek(in.get(), 0, SEEK_SET) != 0) {
      return fail(Errc::io, "cannot rewind {} to compare it: {}", input, std::strerror(errno));
    }
    Producer decrypted = decrypt_into_pipe(file.temporary_path().string(), *key, report.header);
    const auto same = same_bytes(in.get(), decrypted.read_fd());
    auto& decrypt_result = decrypted.finish();
    if (!same) {
      return std::unexpected(same.error());
    }
    if (!*same || !decrypt_result) {
      return fail(Errc::internal, "{} did not decrypt back to {}; the source was kept{}", output, input,
                  decrypt_result ? "" : ": " + decrypt_result.error().message);
    }
  }
  TRY_VOID(file.commit());
  if (remove_source == RemoveSource::yes && ::unlink(input.c_str()) != 0) {
    return fail(Errc::io, "{} is encrypted, but the source cannot be removed: {}", input, std::strerror(errno));
  }
  return report;
}

Result<FileReport> decrypt_file(const std::string& input, const std::string& output, Keyring& keyring,
                                util::Overwrite overwrite, crypto::Digest digest, const crypto::ProgressFn& progress)
{
  auto in = TRY(open_input(input));
  FileReport report;
  report.header = TRY(crypto::read_header(in.get()));
  const auto matter = TRY(keyring.matter_for(report.header));
  report.matter = matter.name;
  const auto input_key = TRY(keyring.input_key(matter, report.header));
  const SecretBytes* key = &input_key;
  report.digest = digest == crypto::Digest::sha256;
  const crypto::StreamOptions options{progress, digest, 0};
  if (output == "-") {
    report.stats = TRY(crypto::decrypt_stream(in.get(), STDOUT_FILENO, report.header, *key, options));
    return report;
  }
  auto file = TRY(util::AtomicFile::create(output, overwrite, 0600));
  report.stats = TRY(crypto::decrypt_stream(in.get(), file.fd(), report.header, *key, options));
  TRY_VOID(file.commit());
  return report;
}

Result<FileReport> reencrypt_file(const std::string& path, Keyring& keyring, const crypto::ProgressFn& progress)
{
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    return fail(Errc::usage, "{} is not a regular file: reencrypt replaces files in place", path);
  }
  auto in = TRY(open_input(path));
  FileReport report;
  const auto old_header = TRY(crypto::read_header(in.get()));
  const auto matter = TRY(keyring.matter_for(old_header));
  report.matter = matter.name;
  report.from_version = old_header.key_version;
  report.from_format = old_header.format_version;
  report.header = old_header;
  report.header.key_version = matter.newest_version();
  report.header.format_version = format_for(matter);
  if (matter.shredded_at) {
    TRY(keyring.key(matter, old_header.key_version)); // the "destroyed on" error
  }
  if (old_header.key_version > matter.newest_version()) {
    // A header is only authenticated by its key: a version this keystore does not hold is not believed.
    return fail(Errc::auth_failed, "{}: matter {} has no key version {} in this workspace", path, matter.name,
                old_header.key_version);
  }
  if (old_header.key_version == matter.newest_version() && old_header.format_version == format_for(matter)) {
    report.unchanged = true;
    return report;
  }
  const auto old_input_key = TRY(keyring.input_key(matter, old_header));
  const SecretBytes* old_key = &old_input_key;
  // reencrypt holds the secrets anyway: unlocking the newest version checks the record, and so the
  // public key the new file is encrypted to (which a secret-less `encrypt` has to take on trust).
  TRY(keyring.key(matter, report.header.key_version));
  const auto new_input_key = TRY(new_file_key(matter, keyring, report.header));
  const SecretBytes* new_key = &new_input_key;
  auto file = TRY(util::AtomicFile::create(path, util::Overwrite::yes, mode_of(in.get(), 0644)));
  {
    // old file -> decrypt -> pipe -> encrypt -> new temporary file
    const int in_fd = in.get();
    Producer plaintext([in_fd, &old_header, old_key](int out_fd) {
      return crypto::decrypt_stream(in_fd, out_fd, old_header, *old_key);
    });
    auto encrypted = crypto::encrypt_stream(plaintext.read_fd(), file.fd(), report.header, *new_key,
                                            crypto::StreamOptions{progress, crypto::Digest::none, 0});
    auto& decrypted = plaintext.finish();
    TRY_VOID(decrypted);
    report.stats = TRY(std::move(encrypted));
  }
  if (::fsync(file.fd()) != 0) {
    return fail(Errc::io, "cannot sync {}: {}", path, std::strerror(errno));
  }
  // Verify: the new file decrypts to the same bytes as the old one.
  {
    Producer old_plain = decrypt_into_pipe(path, *old_key, old_header);
    Producer new_plain = decrypt_into_pipe(file.temporary_path().string(), *new_key, report.header);
    const auto same = same_bytes(old_plain.read_fd(), new_plain.read_fd());
    auto& old_result = old_plain.finish();
    auto& new_result = new_plain.finish();
    if (!same) {
      return std::unexpected(same.error());
    }
    if (!*same || !old_result || !new_result) {
      return fail(Errc::internal, "the re-encrypted {} did not decrypt to the same bytes; the file was kept", path);
    }
  }
  TRY_VOID(file.commit());
  return report;
}

} // namespace complycli::matter
