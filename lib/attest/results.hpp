#pragma once

// Signed check results (docs/trust-chain.md): `complycli check --results` adds a "signature" member to
// the results JSON, a C2SP signed note (https://c2sp.org/signed-note) by the workspace's audit log key
// whose text binds the SHA-256 of the canonical results to the profile's SHA-256, the date the checks
// evaluated, the check library's digest and the audit log entry that recorded the run. Documents
// verify it before they render. Returns results; never prints.

#include "auditlog/note.hpp"
#include "checks/check.hpp"
#include "checks/engine.hpp"
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::attest {

// The first line of a results note.
inline constexpr std::string_view results_origin = "complycli.results/v1";
// The results JSON member that holds the signature.
inline constexpr const char* signature_member = "signature";

// What a results signature binds.
struct Binding {
  std::string results_sha256; // SHA-256 of the canonical results (hex)
  std::string profile_sha256; // of the profile's bytes (hex), "none" when the run had no profile
  std::string evaluated;      // YYYY-MM-DD: the "today" the checks evaluated
  std::string checks_sha256;  // the check library's digest (hex), see `library_digest`
  int64_t audit_seq = 0;      // the audit log entry that recorded the run
  std::string audit_hash;     // that entry's hash (hex)
};

// The note text: origin line, then "results-sha256 H", "profile-sha256 H", "evaluated D",
// "checks-sha256 H", "audit-entry SEQ H", each ending in a newline.
std::string binding_text(const Binding& binding);
// Parse a note text (Errc::parse when it is not one).
Result<Binding> parse_binding(std::string_view text);

// The canonical form of a results document: the JSON without the "signature" member, object keys
// sorted by their UTF-8 bytes, no insignificant whitespace (nlohmann::json::dump()).
std::string canonical_results(const nlohmann::json& results);
// SHA-256 (hex) of the canonical form, computed without building it: the same digest as
// sha256_hex(canonical_results(document)) for the same JSON in either key order.
std::string canonical_results_sha256(const nlohmann::json& results);
std::string canonical_results_sha256(const nlohmann::ordered_json& results);
// The same digest for the results document of `report` (checks::results_json), computed one check at
// a time without building the document.
std::string report_results_sha256(const checks::Report& report);
// SHA-256 (hex) of `bytes`.
std::string sha256_hex(std::string_view bytes);

// The check library's digest: SHA-256 over one line "ID SHA-256(file bytes)\n" per check, in the
// order given. Errc::io when a check's file cannot be read.
Result<std::string> library_digest(const std::vector<checks::Check>& checks);

// A signed note of `text` by `key` (text, blank line, one signature line).
std::string sign_note(const auditlog::LogKey& key, std::string_view text);

// Add the "signature" member to `results` for `binding` (its results_sha256 is computed here).
void sign_results(nlohmann::ordered_json& results, Binding binding, const auditlog::LogKey& key);
// The value of the "signature" member for `binding`, whose results_sha256 must already be set.
nlohmann::ordered_json results_signature(const Binding& binding, const auditlog::LogKey& key);

struct VerifyOptions {
  std::string file;                            // for messages
  std::vector<auditlog::PublicKey> trusted;    // any one of them may have signed
  std::optional<std::string> profile_sha256;   // the profile the document renders from
};

// Check a results document: signed by a trusted key, the note's digest equal to the canonical
// results', the note's evaluated date and profile equal to the document's `today` and
// `profile.sha256`, the profile the one expected, no check id twice. Errc::chain_broken naming the
// file, what did not match and a hint.
Result<Binding> verify_results(const nlohmann::json& results, const VerifyOptions& options);

// Read a verifier key file (one vkey line). Errc::usage naming the file when it is not one.
Result<auditlog::PublicKey> load_vkey(const std::filesystem::path& path);

} // namespace complycli::attest
