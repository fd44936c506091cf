#pragma once

// An audit log entry and its hash: the canonical byte encoding specified in docs/audit-log.md.

#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

namespace complycli::auditlog {

using Hash = std::array<uint8_t, 32>;

// The domain-separation prefix that starts every encoded entry (25 bytes, the NUL included).
inline constexpr std::string_view entry_domain{"complycli-audit-entry-v1\0", 25};

// A stored entry. `details` is the exact JSON text that was hashed.
struct Entry {
  int64_t seq = 0;
  std::string time; // RFC 3339 UTC with microseconds
  std::string actor;
  std::string action;
  std::string target;
  std::string outcome; // ok, denied or error
  std::string details; // canonical JSON object text
  Hash prev_hash{};
  Hash hash{};
};

// The fields that are hashed, as views (verify hashes SQLite's column buffers without copying).
struct EntryFields {
  int64_t seq = 0;
  std::string_view time, actor, action, target, outcome, details;
};

// Append the canonical encoding of `fields` and `prev_hash` to `out`:
// domain || u64be(seq) || for each of time, actor, action, target, outcome, details: u32be(len) || bytes
// || prev_hash.
void encode_entry(std::string &out, const EntryFields &fields, std::span<const uint8_t, 32> prev_hash);

// The entry's Merkle leaf data: its canonical encoding (encode_entry), the bytes its hash is over.
std::string entry_leaf_data(const Entry &entry);

// Computes entry hashes with one buffer, reused for every entry.
class EntryHasher {
public:
  EntryHasher() { m_buffer.reserve(4096); }

  // SHA-256 of encode_entry(fields, prev_hash); with `leaf`, also the entry's Merkle leaf hash there
  // (SHA-256(0x00 || encoding), docs/audit-log.md "Merkle tree").
  Hash hash(const EntryFields &fields, std::span<const uint8_t, 32> prev_hash, Hash *leaf = nullptr);
  // Only the entry's Merkle leaf hash (a proof recomputes a tile's leaves; their entry hashes are stored).
  Hash leaf(const EntryFields &fields, std::span<const uint8_t, 32> prev_hash);

private:
  std::string m_buffer;
};

// The canonical text of a details object: compact JSON, object keys sorted by byte value at every
// level, UTF-8 as is (nlohmann::json::dump()). Errc::usage if `details` is not an object or holds
// invalid UTF-8.
Result<std::string> canonical_details(const nlohmann::json &details);

// Whether `outcome` is one of ok, denied, error.
bool valid_outcome(std::string_view outcome);

// Normalise an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fraction]Z) to the stored form with exactly
// six fractional digits; nullopt if it is not one.
std::optional<std::string> normalise_time(std::string_view text);

// Milliseconds since the Unix epoch of a stored time (for CEF's rt field).
std::optional<int64_t> time_to_epoch_ms(std::string_view stored_time);

// JSON for an entry as log, show and export print it (stable key order; hashes as lower-case hex).
nlohmann::ordered_json entry_to_json(const Entry &entry);

} // namespace complycli::auditlog
