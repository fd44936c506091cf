#pragma once

// What the matter commands share: passphrases (prompt without echo, --passphrase-file,
// COMPLYCLI_PASSPHRASE; never argv), identities, the keystore, a progress bar, and audit wrapping.

#include "context.hpp"
#include "crypto/secret.hpp"
#include "keystore/identity.hpp"
#include "keystore/keystore.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace complycli::cli {

// Where the passphrase that unlocks matters comes from.
struct SecretOptions {
  std::string passphrase_file;
  std::vector<std::string> identity_files;
};

// Add --passphrase-file (and, when `identities`, --identity FILE...) to a subcommand.
void add_secret_options(CLI::App* sub, SecretOptions& options, bool identities);

// Read a passphrase: from `file` if given, else COMPLYCLI_PASSPHRASE (or `env_name`), else a prompt on
// the terminal without echo (asked twice when `confirm`). Errc::usage when none of them is available.
Result<crypto::SecretBytes> read_passphrase(const std::string& file, const char* env_name, bool confirm,
                                            std::string_view purpose);

// Everything needed to unlock keys: loaded identities and a passphrase asked for at most once.
class Credentials {
public:
  static Result<std::unique_ptr<Credentials>> load(const SecretOptions& options);
  keystore::Unlock unlock();
  const std::vector<keystore::Identity>& identities() const { return m_identities; }

private:
  std::string m_passphrase_file;
  std::vector<keystore::Identity> m_identities;
  std::optional<crypto::SecretBytes> m_passphrase;
};

// The workspace's keystore (commands that only read it open it read-only).
Result<keystore::Keystore> open_keystore(const core::Workspace& workspace,
                                         util::Access access = util::Access::read_write);

// For commands that must not run unrecorded (decrypt): Errc::io, before any work, when the workspace's
// audit log cannot record `action` (a read-only workspace). See docs/robustness.md.
Result<void> require_audit_log(const core::Workspace& workspace, std::string_view action);

// Run `body(details)`, then record `action` on `target` in the audit log: ok, denied (authentication
// failed) or error, with `details` (and the error message).
Result<void> audited(const Context& ctx, const core::Workspace& workspace, const std::string& action,
                     const std::string& target, const std::function<Result<void>(nlohmann::json&)>& body);

// A progress bar on stderr: only on a terminal, never with --quiet, and only once the work has taken
// more than two seconds. Thread-safe; clears its line when destroyed.
class Progress {
public:
  Progress(const Context& ctx, std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void update(uint64_t done);

private:
  bool m_enabled;
  std::string m_label;
  uint64_t m_total;
  std::chrono::steady_clock::time_point m_start;
  std::chrono::steady_clock::time_point m_last_draw{};
  bool m_drawn = false;
  std::mutex m_mutex;
};

// Name the files in an error from the encryption streams, which know only file descriptors:
// "cannot write the output: No space left on device" -> "cannot write out/a.pdf.cmply: No space ...".
Error name_stream_files(Error error, const std::string& input, const std::string& output);

// "1.5 MiB" etc.
std::string human_size(uint64_t bytes);

} // namespace complycli::cli

namespace complycli::cli {

// Regular files under `root`, sorted; symbolic links are neither followed nor returned. `keep` filters.
Result<std::vector<std::filesystem::path>> files_under(const std::filesystem::path& root,
                                                       const std::function<bool(const std::filesystem::path&)>& keep);

// Size of a regular file (0 if unknown or "-").
uint64_t file_size_or_zero(const std::string& path);

// The details every encrypt/decrypt event carries: matter, key version, sizes, the key commitment, and
// the ciphertext SHA-256 (null when `digest` is false).
void add_stream_details(nlohmann::json& details, const std::string& matter, const crypto::MatterFileHeader& header,
                        const crypto::StreamStats& stats, bool digest);

} // namespace complycli::cli
