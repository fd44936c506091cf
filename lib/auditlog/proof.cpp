#include "auditlog/proof.hpp"

#include "auditlog/merkle.hpp"
#include "util/hex.hpp"

#include <charconv>

namespace complycli::auditlog {

namespace {

std::vector<std::string_view> lines_of(std::string_view text)
{
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    out.push_back(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
  }
  return out;
}

std::optional<Hash> hash_from_base64(std::string_view text)
{
  const auto bytes = base64_decode(text);
  if (!bytes || bytes->size() != 32) {
    return std::nullopt;
  }
  Hash out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::optional<Hash> hash_from_hex(std::string_view text)
{
  const auto bytes = util::from_hex(text);
  if (!bytes || bytes->size() != 32) {
    return std::nullopt;
  }
  Hash out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

} // namespace

std::string format_proof(const TlogProof &proof)
{
  std::string out = fmt::format("{}\nindex {}\n", tlog_proof_header, proof.index);
  out += format_hashes(proof.path);
  out += "\n";
  out += proof.checkpoint;
  return out;
}

Result<TlogProof> parse_proof(std::string_view text)
{
  const auto blank = text.find("\n\n");
  if (blank == std::string_view::npos) {
    return fail(Errc::parse, "not a tlog proof: no blank line before the checkpoint");
  }
  const auto head = lines_of(text.substr(0, blank + 1));
  TlogProof proof;
  proof.checkpoint = std::string(text.substr(blank + 2));
  std::size_t line = 0;
  if (head.empty() || head[0] != tlog_proof_header) {
    return fail(Errc::parse, "line 1: not a tlog proof: the first line is not {}", tlog_proof_header);
  }
  ++line;
  if (line < head.size() && head[line].starts_with("extra ")) {
    ++line; // opaque, unauthenticated: ignored
  }
  if (line >= head.size() || !head[line].starts_with("index ")) {
    return fail(Errc::parse, "line {}: not a tlog proof: no index line", line + 1);
  }
  const auto number = head[line].substr(6);
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), proof.index);
  if (ec != std::errc() || end != number.data() + number.size() || proof.index < 0 ||
      (number.size() > 1 && number[0] == '0')) {
    return fail(Errc::parse, "line {}: the index is not a decimal number", line + 1);
  }
  for (++line; line < head.size(); ++line) {
    const auto hash = hash_from_base64(head[line]);
    if (!hash) {
      return fail(Errc::parse, "line {}: not a base64 SHA-256 hash", line + 1);
    }
    proof.path.push_back(*hash);
  }
  TRY(parse_checkpoint_text(proof.checkpoint.substr(0, proof.checkpoint.find("\n\n") + 1)));
  return proof;
}

Result<CheckpointBody> verify_proof(const TlogProof &proof, const Hash &leaf, const PublicKey &key)
{
  auto body = TRY(open_checkpoint(proof.checkpoint, key));
  if (!body.root) {
    return fail(Errc::chain_broken,
                "the checkpoint has no Merkle root (a version 1 checkpoint): no proof can be checked against it");
  }
  if (proof.index >= body.size) {
    return fail(Errc::chain_broken, "entry {} is not in the checkpoint, which covers {} entries", proof.index + 1,
                body.size);
  }
  if (!verify_inclusion(leaf, proof.index, body.size, proof.path, *body.root)) {
    return fail(Errc::chain_broken, "the inclusion proof does not bind entry {} to the checkpoint's root",
                proof.index + 1);
  }
  return body;
}

Result<Entry> entry_from_json(const nlohmann::json &json)
{
  if (!json.is_object()) {
    return fail(Errc::usage, "an entry must be a JSON object");
  }
  Entry entry;
  try {
    entry.seq = json.at("seq").get<int64_t>();
    entry.time = json.at("time").get<std::string>();
    entry.actor = json.at("actor").get<std::string>();
    entry.action = json.at("action").get<std::string>();
    entry.target = json.at("target").get<std::string>();
    entry.outcome = json.at("outcome").get<std::string>();
    const auto &details = json.at("details");
    entry.details = details.is_string() ? details.get<std::string>() : details.dump();
    const auto prev = hash_from_hex(json.at("prev_hash").get<std::string>());
    if (!prev) {
      return fail(Errc::usage, "the entry's prev_hash is not 64 hex digits");
    }
    entry.prev_hash = *prev;
  } catch (const nlohmann::json::exception &e) {
    return fail(Errc::usage, "the entry lacks a field or has one of the wrong type: {}", e.what());
  }
  EntryHasher hasher;
  entry.hash = hasher.hash(EntryFields{entry.seq, entry.time, entry.actor, entry.action, entry.target,
                                       entry.outcome, entry.details},
                           entry.prev_hash);
  if (json.contains("hash") && json["hash"].is_string()) {
    const auto stated = hash_from_hex(json["hash"].get<std::string>());
    if (!stated || *stated != entry.hash) {
      return fail(Errc::usage, "the entry's fields do not hash to its stated hash");
    }
  }
  if (json.contains("leaf") && json["leaf"].is_string()) {
    const auto leaf = base64_decode(json["leaf"].get<std::string>());
    const auto data = entry_leaf_data(entry);
    if (!leaf || std::string_view(reinterpret_cast<const char *>(leaf->data()), leaf->size()) != data) {
      return fail(Errc::usage, "the entry's leaf is not the encoding of its fields");
    }
  }
  return entry;
}

std::string format_hashes(const std::vector<Hash> &hashes)
{
  std::string out;
  for (const auto &hash : hashes) {
    out += base64_encode(hash);
    out += '\n';
  }
  return out;
}

Result<std::vector<Hash>> parse_hashes(std::string_view text)
{
  std::vector<Hash> out;
  int line = 0;
  for (auto l : lines_of(text)) {
    ++line;
    if (!l.empty() && l.back() == '\r') {
      l.remove_suffix(1);
    }
    if (l.empty()) {
      continue;
    }
    const auto hash = hash_from_base64(l);
    if (!hash) {
      return fail(Errc::parse, "line {}: not a base64 SHA-256 hash", line);
    }
    out.push_back(*hash);
  }
  return out;
}

} // namespace complycli::auditlog
