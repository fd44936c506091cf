#include "matter_support.hpp"

#include "auditlog/auditlog.hpp"
#include "crypto/hygiene.hpp"
#include "store/workspace_keys.hpp"
#include "util/env.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace complycli::cli {

using crypto::SecretBytes;

void add_secret_options(CLI::App* sub, SecretOptions& options, bool identities)
{
  sub->add_option("--passphrase-file", options.passphrase_file,
                  "Read the passphrase from the first line of FILE (default: COMPLYCLI_PASSPHRASE, else a prompt)");
  if (identities) {
    sub->add_option("-i,--identity", options.identity_files, "Unlock with this identity file (repeatable)")
        ->allow_extra_args(false);
  }
}

namespace {

constexpr std::size_t max_passphrase = 1024;

// Strip one trailing "\n" or "\r\n".
std::size_t line_length(const uint8_t* data, std::size_t size)
{
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      return i > 0 && data[i - 1] == '\r' ? i - 1 : i;
    }
  }
  return size;
}

Result<SecretBytes> from_text(const uint8_t* data, std::size_t size, std::string_view source)
{
  const auto length = line_length(data, size);
  if (length == 0) {
    return fail(Errc::usage, "the passphrase from {} is empty", source);
  }
  return SecretBytes::copy_of({data, length});
}

class TerminalEcho {
public:
  explicit TerminalEcho(int fd) : m_fd(fd)
  {
    if (::tcgetattr(fd, &m_saved) == 0) {
      termios quiet = m_saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;
      m_restore = ::tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~TerminalEcho()
  {
    if (m_restore) {
      ::tcsetattr(m_fd, TCSAFLUSH, &m_saved);
    }
  }
  TerminalEcho(const TerminalEcho&) = delete;
  TerminalEcho& operator=(const TerminalEcho&) = delete;

private:
  int m_fd;
  termios m_saved{};
  bool m_restore = false;
};

Result<SecretBytes> prompt_once(int tty, std::string_view prompt)
{
  if (::write(tty, prompt.data(), prompt.size()) < 0) {
    return fail(Errc::io, "cannot write to the terminal: {}", std::strerror(errno));
  }
  auto buffer = TRY(SecretBytes::allocate(max_passphrase));
  std::size_t length = 0;
  {
    TerminalEcho echo(tty);
    while (true) {
      char c = 0;
      const ssize_t n = ::read(tty, &c, 1);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0 || c == '\n' || c == '\r') {
        break;
      }
      if (length == max_passphrase) {
        return fail(Errc::usage, "the passphrase is longer than {} bytes", max_passphrase);
      }
      buffer.data()[length++] = static_cast<uint8_t>(c);
    }
  }
  if (length == 0) {
    return fail(Errc::usage, "empty passphrase");
  }
  return SecretBytes::copy_of(buffer.view().first(length));
}

} // namespace

Result<SecretBytes> read_passphrase(const std::string& file, const char* env_name, bool confirm,
                                    std::string_view purpose)
{
  if (!file.empty()) {
    auto content = TRY(util::read_file(file));
    auto secret = from_text(reinterpret_cast<const uint8_t*>(content.data()), content.size(), file);
    sodium_memzero(content.data(), content.size());
    return secret;
  }
  // Taken out of the environment at start (see crypto/hygiene.hpp), so no child process sees it.
  if (const auto value = TRY(crypto::take_secret_variable(env_name))) {
    return from_text(value->data(), value->size(), env_name);
  }
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0 || !::isatty(tty)) {
    if (tty >= 0) {
      ::close(tty);
    }
    return fail_with_hint(Errc::usage, fmt::format("use --passphrase-file FILE or set {}", env_name),
                          "a passphrase is needed ({}) and there is no terminal to ask on", purpose);
  }
  auto first = prompt_once(tty, fmt::format("Passphrase ({}): ", purpose));
  if (first && confirm) {
    auto second = prompt_once(tty, "Passphrase again: ");
    if (!second) {
      first = std::unexpected(second.error());
    } else if (second->size() != first->size() || sodium_memcmp(first->data(), second->data(), first->size()) != 0) {
      first = fail(Errc::usage, "the passphrases do not match");
    }
  }
  ::close(tty);
  return first;
}

Result<std::unique_ptr<Credentials>> Credentials::load(const SecretOptions& options)
{
  auto credentials = std::make_unique<Credentials>();
  credentials->m_passphrase_file = options.passphrase_file;
  for (const auto& file : options.identity_files) {
    credentials->m_identities.push_back(TRY(keystore::load_identity(file)));
  }
  return credentials;
}

keystore::Unlock Credentials::unlock()
{
  keystore::Unlock unlock;
  for (const auto& identity : m_identities) {
    unlock.identities.push_back(&identity);
  }
  unlock.passphrase = [this]() -> Result<SecretBytes> {
    if (!m_passphrase) {
      m_passphrase = TRY(read_passphrase(m_passphrase_file, "COMPLYCLI_PASSPHRASE", false, "unlock"));
    }
    return SecretBytes::copy_of(m_passphrase->view());
  };
  return unlock;
}

Result<keystore::Keystore> open_keystore(const core::Workspace& workspace, util::Access access)
{
  return keystore::Keystore::open(TRY(store::open_workspace_keys(workspace, access)));
}

Result<void> require_audit_log(const core::Workspace& workspace, std::string_view action)
{
  auto writable = auditlog::AuditLog::check_writable(workspace);
  if (!writable) {
    return fail_with_hint(Errc::io,
                          fmt::format("every {0} is recorded in the workspace's audit log, so {0} refuses to run "
                                      "unrecorded; copy the workspace to a writable folder (cp -a) and run it there",
                                      action),
                          "refusing to {}: {}", action, writable.error().message);
  }
  return {};
}

Result<void> audited(const Context& ctx, const core::Workspace& workspace, const std::string& action,
                     const std::string& target, const std::function<Result<void>(nlohmann::json&)>& body)
{
  nlohmann::json details = nlohmann::json::object();
  auto result = body(details);
  core::Outcome outcome = core::Outcome::ok;
  if (!result) {
    outcome = result.error().code == Errc::auth_failed ? core::Outcome::denied : core::Outcome::error;
    details["error"] = result.error().message;
  }
  ctx.record(workspace, core::Event{action, target, outcome, details});
  return result;
}

Error name_stream_files(Error error, const std::string& input, const std::string& output)
{
  const auto name = [](const std::string& path, const char* stdio) { return path == "-" ? std::string(stdio) : path; };
  for (const auto& [generic, path] : {std::pair{std::string_view("the output"), name(output, "standard output")},
                                      std::pair{std::string_view("the input"), name(input, "standard input")}}) {
    const auto at = error.message.find(generic);
    if (at != std::string::npos && error.message.compare(0, 7, "cannot ") == 0) {
      error.message.replace(at, generic.size(), path);
    }
  }
  return error;
}

Progress::Progress(const Context& ctx, std::string label, uint64_t total)
    : m_enabled(!ctx.quiet && ::isatty(STDERR_FILENO) != 0), m_label(std::move(label)), m_total(total),
      m_start(std::chrono::steady_clock::now())
{
}

Progress::~Progress()
{
  if (m_drawn) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void Progress::update(uint64_t done)
{
  if (!m_enabled) {
    return;
  }
  std::lock_guard lock(m_mutex);
  const auto now = std::chrono::steady_clock::now();
  if (now - m_start < std::chrono::seconds(2) || now - m_last_draw < std::chrono::milliseconds(100)) {
    return;
  }
  m_last_draw = now;
  m_drawn = true;
  const double seconds = std::chrono::duration<double>(now - m_start).count();
  const auto rate = human_size(static_cast<uint64_t>(static_cast<double>(done) / seconds));
  if (m_total > 0) {
    constexpr int width = 30;
    const auto filled = static_cast<int>(static_cast<double>(std::min(done, m_total)) * width /
                                         static_cast<double>(m_total));
    fmt::print(stderr, "\r{} [{:=<{}}{: <{}}] {}/{} {}/s\033[K", m_label, "", filled, "", width - filled,
               human_size(done), human_size(m_total), rate);
  } else {
    fmt::print(stderr, "\r{} {} {}/s\033[K", m_label, human_size(done), rate);
  }
  std::fflush(stderr);
}

std::string human_size(uint64_t bytes)
{
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

} // namespace complycli::cli

namespace complycli::cli {

namespace fs = std::filesystem;

Result<std::vector<fs::path>> files_under(const fs::path& root, const std::function<bool(const fs::path&)>& keep)
{
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) {
    return fail(Errc::io, "cannot read folder {}: {}", root.string(), ec.message());
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      return fail(Errc::io, "cannot read folder {}: {}", root.string(), ec.message());
    }
    const auto status = it->symlink_status(ec);
    if (!ec && fs::is_regular_file(status) && keep(it->path())) {
      files.push_back(it->path());
    }
  }
  if (ec) {
    return fail(Errc::io, "cannot read folder {}: {}", root.string(), ec.message());
  }
  std::sort(files.begin(), files.end());
  return files;
}

uint64_t file_size_or_zero(const std::string& path)
{
  std::error_code ec;
  if (path == "-" || !fs::is_regular_file(path, ec)) {
    return 0;
  }
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

void add_stream_details(nlohmann::json& details, const std::string& matter, const crypto::MatterFileHeader& header,
                        const crypto::StreamStats& stats, bool digest)
{
  details["matter"] = matter;
  details["matter_id"] = util::to_hex(header.matter_id);
  details["key_version"] = header.key_version;
  details["format_version"] = header.format_version;
  details["plaintext_bytes"] = stats.plaintext_bytes;
  details["ciphertext_bytes"] = stats.ciphertext_bytes;
  details["ciphertext_sha256"] = digest ? nlohmann::json(util::to_hex(stats.ciphertext_sha256)) : nlohmann::json();
  // The Cobblestone key commitment identifies this encryption (it binds key, salt and header) at no
  // cost, also for streams to standard output, which skip the SHA-256.
  details["key_commitment"] = util::to_hex(stats.commitment);
}

} // namespace complycli::cli
