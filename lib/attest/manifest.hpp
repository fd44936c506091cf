#pragma once

// The signed claims manifest a trust page is published with (claims.json beside index.html and
// security.txt), and the offline check of a published folder (`complycli verify DIR`). Format:
// docs/trust-chain.md. Returns results; never prints.

#include "attest/results.hpp"
#include "auditlog/note.hpp"
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace complycli::attest {

// The manifest's file name in a published folder.
inline constexpr const char* manifest_name = "claims.json";
// The first line of a manifest's signed note.
inline constexpr std::string_view manifest_origin = "complycli.claims/v1";

struct PublishedClaim {
  std::string id;
  std::string title;
  std::string sentence; // what the page states: "Verified by checks: A, B", or the title for a claim on facts alone
  std::vector<std::pair<std::string, std::string>> checks; // check id, status
};

struct ManifestInputs {
  std::string document_date;                   // YYYY-MM-DD
  std::string profile_sha256;
  Binding results;                             // from the verified results
  std::string checkpoint;                      // a signed checkpoint of the log that recorded the page
  std::map<std::string, std::string> files;    // file name in the folder -> its text
  std::vector<PublishedClaim> claims;          // the claims the page states
};

// The manifest, signed by `key`: a JSON document whose "signature" note binds its canonical SHA-256.
nlohmann::ordered_json claims_manifest(const ManifestInputs& inputs, const auditlog::LogKey& key);

// An externally kept checkpoint (`--anchor FILE`).
struct FolderAnchor {
  std::string name;
  std::string note;
};

struct FolderReport {
  std::string key_vkey;     // the key the manifest verified with
  bool key_from_manifest = false; // no --pubkey: the key the manifest names was used
  std::size_t claims = 0;
  std::size_t files = 0;
  int64_t checkpoint_size = 0;
  std::size_t anchors = 0;
};

// Check a published folder offline: the manifest's signature (by `pubkey`, else the key it names), the
// checkpoint's signature, every listed file's SHA-256, every claim's sentence on the page, and that each
// anchor is signed by the same key and is not ahead of (or, at the same size, different from) the
// manifest's checkpoint. Errc::chain_broken naming the file and what did not match; Errc::io when the
// folder or the manifest cannot be read.
Result<FolderReport> verify_folder(const std::filesystem::path& dir, const std::optional<auditlog::PublicKey>& pubkey,
                                   const std::vector<FolderAnchor>& anchors);

// Read a log key file (PRIVATE+KEY+...). Errc::io naming the file.
Result<auditlog::LogKey> load_log_key(const std::filesystem::path& path);

} // namespace complycli::attest
