#pragma once

// The evidence loaders, one per kind of input (internal to lib/evidence; the public API is
// evidence/evidence.hpp). Each reads a file and inserts rows; a file that does not parse becomes a row
// of `evidence_errors` (file, line, message) and the load continues.

#include "evidence/database.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace complycli::evidence {

struct LoadState {
  Database& db;
  int64_t next_endpoint = 1;
  int64_t next_server = 1;
  std::set<std::string> inputs; // every file read, as displayed
  std::string today;            // YYYY-MM-DD of the run
  std::set<std::string> errors; // file:line:message of each error row, to report each once
  std::optional<std::filesystem::path> root;    // --root DIR: where absolute paths are looked up
  std::vector<std::filesystem::path> scanned;   // the folders walked (a file's folder for a file)
  std::set<std::string> not_loaded;             // files already reported as not loaded
};

// Record that `file` could not be read or parsed.
Result<void> add_error(LoadState& state, const std::string& file, int line, const std::string& kind,
                       const std::string& message);

// Read a loader's input file. nullopt, after an error row, when it cannot be read or is not UTF-8
// text (the row names the line of the first bad byte): nothing that is not UTF-8 reaches the evidence.
Result<std::optional<std::string>> read_text(LoadState& state, const std::filesystem::path& file,
                                             const std::string& kind);

// Read a JSON input: like read_text, but UTF-16 with a byte-order mark (Windows PowerShell's `>`) is
// converted to UTF-8 and a UTF-8 byte-order mark is dropped.
Result<std::optional<std::string>> read_json_text(LoadState& state, const std::filesystem::path& file,
                                                  const std::string& kind);

// Record a loaded input.
Result<void> add_input(LoadState& state, const std::string& file, const std::string& kind);

// nginx: `roots` are the walked files that no other walked file includes.
Result<void> load_nginx(LoadState& state, const std::vector<std::filesystem::path>& candidates);
// Apache httpd / mod_ssl, like nginx: files included by another candidate are read through it.
Result<void> load_apache(LoadState& state, const std::vector<std::filesystem::path>& candidates);
// OpenSSH: sshd_config files and drop-ins; files an sshd_config includes are read through it only.
Result<void> load_sshd(LoadState& state, const std::vector<std::filesystem::path>& candidates);
// PostgreSQL: postgresql.conf files (what they include and their postgresql.auto.conf are read
// through them) and other settings files, judged as fragments.
Result<void> load_postgres(LoadState& state, const std::vector<std::filesystem::path>& candidates);
Result<void> load_pg_hba(LoadState& state, const std::vector<std::filesystem::path>& candidates);
Result<void> load_headers(LoadState& state, const std::filesystem::path& file, const std::string& text);
// Whether `text` is a saved HTTP response: a status line first (curl -D, -I, -i), or curl -v output
// with a `< HTTP/...` response line.
bool looks_like_http_response(const std::string& text);
// Terraform plan or state JSON (`terraform show -json`), already parsed.
Result<void> load_terraform(LoadState& state, const std::filesystem::path& file, const std::string& text,
                            const nlohmann::json& plan);
// Ciphers in an OpenSSL cipher string that are weak (RC4, DES, 3DES, MD5, NULL, EXPORT, anonymous...).
std::string weak_ciphers(const std::string& cipher_string);

} // namespace complycli::evidence
