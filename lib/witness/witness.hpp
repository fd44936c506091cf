#pragma once

// A transparency log witness (C2SP tlog-witness, tlog-cosignature): it keeps the last checkpoint it
// cosigned per log and cosigns (Ed25519 cosignature/v1) only checkpoints consistent with it, so two
// auditors holding cosigned checkpoints know they were shown the same log. Its state is a folder:
//   witness.key   PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>, mode 0600
//   logs          the trusted logs' vkeys, one a line
//   state/<hex>   the last cosigned checkpoint text of the log whose origin hashes to <hex>
// docs/audit-log.md, "Witnesses".

#include "auditlog/merkle.hpp"
#include "auditlog/note.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::witness {

// A cosigner's verifier key: vkey <name>+<hex key ID>+<base64(0x04 || public key)>, key ID =
// SHA-256(name || "\n" || 0x04 || public key)[:4].
struct CosignerKey {
  std::string name;
  std::array<uint8_t, 4> id{};
  std::array<uint8_t, 32> key{};
  std::string vkey() const;
};
Result<CosignerKey> parse_cosigner_vkey(std::string_view text);

// Create a witness folder with a new key named `name`, trusting the logs `log_vkeys`.
// Errc::io when the folder already holds a witness.
Result<CosignerKey> init(const std::filesystem::path &folder, const std::string &name,
                         const std::vector<auditlog::PublicKey> &log_vkeys);
// The witness's verifier key.
Result<CosignerKey> public_key(const std::filesystem::path &folder);
// The size of the last checkpoint the witness cosigned for `origin` (0 when none).
Result<int64_t> recorded_size(const std::filesystem::path &folder, std::string_view origin);

// The tlog-witness add-checkpoint request body: "old N", the proof, a blank line, the checkpoint.
std::string add_checkpoint_request(int64_t old_size, const std::vector<auditlog::Hash> &proof,
                                   std::string_view checkpoint);

// The outcome of add-checkpoint, with the HTTP status tlog-witness gives it: 200 (body: cosignature
// lines), 400 (bad request), 403 (bad or missing log signature), 404 (unknown log), 409 (old size is
// not the recorded size; body: the recorded size and a newline), 422 (inconsistent: a bad proof, or a
// split view: another root for the recorded size).
struct AddResult {
  int status = 0;
  std::string body;
};
// Check a request and, when it is consistent with the recorded state, record the checkpoint and cosign
// it at `timestamp` (POSIX seconds). Atomic per folder (a lock file). Errc for I/O failures only.
Result<AddResult> add_checkpoint(const std::filesystem::path &folder, std::string_view request, uint64_t timestamp);

// How many of `witnesses` cosigned the signed `note` with a valid cosignature/v1 (other lines ignored).
int count_cosignatures(std::string_view note, const std::vector<CosignerKey> &witnesses);

} // namespace complycli::witness
