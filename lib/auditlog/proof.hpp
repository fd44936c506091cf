#pragma once

// C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline-verifiable proof that an entry is in the
// log, and the entry's leaf as an auditor recomputes it from `audit show --format json`.

#include "auditlog/entry.hpp"
#include "auditlog/note.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::auditlog {

inline constexpr std::string_view tlog_proof_header = "c2sp.org/tlog-proof@v1";

struct TlogProof {
  int64_t index = 0;           // leaf index: seq - 1
  std::vector<Hash> path;      // RFC 6962 inclusion proof, leaf's sibling first
  std::string checkpoint;      // the signed checkpoint, verbatim (with cosignatures if any)
};

// The proof's text: header, "index N", one base64 hash per line, a blank line, the checkpoint.
std::string format_proof(const TlogProof &proof);
// Errc::parse naming the line when the text is not a tlog proof.
Result<TlogProof> parse_proof(std::string_view text);

// Check `proof` for the leaf hash `leaf`: the checkpoint must be signed by `key` and carry a Merkle root
// (version 2), and the inclusion proof must bind `leaf` at `proof.index` to that root.
// Errc::chain_broken when it does not verify; returns the checkpoint.
Result<CheckpointBody> verify_proof(const TlogProof &proof, const Hash &leaf, const PublicKey &key);

// An entry from its JSON (as `audit show --format json` and `audit log --format json` print it: seq,
// time, actor, action, target, outcome, details, prev_hash in hex; hash and leaf are checked when
// present). Errc::usage when a field is missing or does not match.
Result<Entry> entry_from_json(const nlohmann::json &json);

// One base64 hash per line (the form `audit consistency` prints), and back.
std::string format_hashes(const std::vector<Hash> &hashes);
Result<std::vector<Hash>> parse_hashes(std::string_view text);

} // namespace complycli::auditlog
