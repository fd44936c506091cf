#pragma once

// Signed matter exports (docs/format.md, "Matter export files"): `matter export` signs the export with
// the exporting workspace's Ed25519 key (the audit log key, .complycli/log.key, which also signs
// checkpoints and check results; the note's first line keeps the uses apart), as a C2SP signed note
// whose text binds the SHA-256 of the canonical export. `matter import` verifies the signature, shows
// the signer's fingerprint and imports only from a trusted signer.

#include "auditlog/note.hpp"
#include "core/error.hpp"
#include "keystore/keystore.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::keystore {

// The first line of an export's signed note.
inline constexpr std::string_view export_origin = "complycli.matter-export/v1";

struct SignedExport {
  MatterExport exported;
  auditlog::PublicKey signer; // verified: the signature over the export is by this key
  std::string exported_at;    // RFC 3339, as signed
};

// The export file text (JSON, schema_version 2) signed by `key`.
std::string signed_export_json(const MatterExport& exported, const auditlog::LogKey& key, std::string_view exported_at);

// Parse an export file and verify its signature by the key it names. Errc::parse (naming `file_name`)
// for a file that is not an export (a truncated one among them); Errc::auth_failed for an unsigned
// export or one whose signature does not verify (edited, forged, versions added or dropped).
// Says nothing about whether the signer is trusted (see is_trusted).
Result<SignedExport> open_signed_export(std::string_view text, std::string_view file_name);

// "SHA256:" and the unpadded base64 of SHA-256 of the Ed25519 public key (as ssh-keygen -l shows keys).
std::string key_fingerprint(const auditlog::PublicKey& key);

// True if `trust` (a vkey, or a fingerprint as key_fingerprint writes it) names `key`.
bool trust_names(std::string_view trust, const auditlog::PublicKey& key);

// The workspace's trusted export signers: .complycli/trusted-signers, one vkey a line ('#' comments).
// A missing file is an empty list; a line that is not a vkey is Errc::parse naming file:line.
Result<std::vector<auditlog::PublicKey>> load_trusted_signers(const std::filesystem::path& path);
// Append `key` (if not already there), through util::AtomicFile, mode 0600.
Result<void> add_trusted_signer(const std::filesystem::path& path, const auditlog::PublicKey& key);

} // namespace complycli::keystore
