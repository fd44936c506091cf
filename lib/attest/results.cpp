#include "attest/results.hpp"

#include "checks/results_json.hpp"

#include "util/file.hpp"
#include "util/hex.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <type_traits>

namespace complycli::attest {

namespace {

constexpr std::string_view em_dash_space = "\xE2\x80\x94 ";
constexpr const char* signature_format = "complycli-results-signature/v1";

bool is_hex64(std::string_view text)
{
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The key names on a note's signature lines (for messages).
std::vector<std::string> signer_names(std::string_view note)
{
  std::vector<std::string> names;
  const auto split_at = note.rfind("\n\n");
  if (split_at == std::string_view::npos) {
    return names;
  }
  auto rest = note.substr(split_at + 2);
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    auto line = rest.substr(0, end);
    if (line.starts_with(em_dash_space)) {
      line.remove_prefix(em_dash_space.size());
      names.emplace_back(line.substr(0, line.find(' ')));
    }
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  return names;
}

std::string key_list(const std::vector<auditlog::PublicKey>& keys)
{
  std::string out;
  for (const auto& k : keys) {
    out += (out.empty() ? "" : ", ") + k.name;
  }
  return out.empty() ? "(none)" : out;
}

} // namespace

std::string binding_text(const Binding& b)
{
  return fmt::format("{}\nresults-sha256 {}\nprofile-sha256 {}\nevaluated {}\nchecks-sha256 {}\naudit-entry {} {}\n",
                     results_origin, b.results_sha256, b.profile_sha256, b.evaluated, b.checks_sha256, b.audit_seq,
                     b.audit_hash);
}

Result<Binding> parse_binding(std::string_view text)
{
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) {
      return fail(Errc::parse, "the results note does not end in a newline");
    }
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  if (lines.size() != 6 || lines[0] != results_origin) {
    return fail(Errc::parse, "not a {} note", results_origin);
  }
  auto value = [&](std::size_t i, std::string_view key) -> std::optional<std::string_view> {
    if (!lines[i].starts_with(key) || lines[i].size() <= key.size() || lines[i][key.size()] != ' ') {
      return std::nullopt;
    }
    return lines[i].substr(key.size() + 1);
  };
  Binding b;
  const auto results = value(1, "results-sha256");
  const auto profile = value(2, "profile-sha256");
  const auto evaluated = value(3, "evaluated");
  const auto library = value(4, "checks-sha256");
  const auto audit = value(5, "audit-entry");
  if (!results || !profile || !evaluated || !library || !audit || !is_hex64(*results) ||
      (!is_hex64(*profile) && *profile != "none") || evaluated->size() != 10 || !is_hex64(*library)) {
    return fail(Errc::parse, "the results note's lines are not results-sha256, profile-sha256, evaluated, "
                             "checks-sha256, audit-entry");
  }
  const auto space = audit->find(' ');
  if (space == std::string_view::npos || !is_hex64(audit->substr(space + 1))) {
    return fail(Errc::parse, "the results note's audit-entry line is not SEQ HASH");
  }
  const auto seq = audit->substr(0, space);
  const auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), b.audit_seq);
  if (ec != std::errc() || end != seq.data() + seq.size() || b.audit_seq < 0) {
    return fail(Errc::parse, "the results note's audit entry number is not a number");
  }
  b.results_sha256 = std::string(*results);
  b.profile_sha256 = std::string(*profile);
  b.evaluated = std::string(*evaluated);
  b.checks_sha256 = std::string(*library);
  b.audit_hash = std::string(audit->substr(space + 1));
  return b;
}

std::string canonical_results(const nlohmann::json& results)
{
  nlohmann::json copy = results;
  if (copy.is_object()) {
    copy.erase(signature_member);
  }
  return copy.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

class Sha256Sink {
public:
  Sha256Sink() { crypto_hash_sha256_init(&m_state); }
  void add(std::string_view bytes)
  {
    crypto_hash_sha256_update(&m_state, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }
  std::string hex()
  {
    std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(&m_state, digest.data());
    return util::to_hex(digest);
  }

private:
  crypto_hash_sha256_state m_state{};
};

// The canonical text of `value` fed to `out`: nlohmann::json (whose objects keep their keys sorted)
// dumps it. The first `levels` levels of objects and arrays are walked here instead, one member or
// element at a time, so that a large document (checks with thousands of findings) is never converted
// whole; at the top level the "signature" member is left out.
template <typename Json>
void hash_canonical(const Json& value, Sha256Sink& out, int levels, bool top_level = false)
{
  const auto dump = [](const auto& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  if (levels == 0 || !(value.is_object() || value.is_array())) {
    if constexpr (std::is_same_v<Json, nlohmann::json>) {
      out.add(dump(value));
    } else {
      out.add(dump(nlohmann::json(value)));
    }
    return;
  }
  if (value.is_array()) {
    out.add("[");
    for (std::size_t i = 0; i < value.size(); ++i) {
      out.add(i ? "," : "");
      hash_canonical(value[i], out, levels - 1);
    }
    out.add("]");
    return;
  }
  std::vector<std::pair<const std::string*, const Json*>> members;
  members.reserve(value.size());
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!(top_level && it.key() == signature_member)) {
      members.emplace_back(&it.key(), &it.value());
    }
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  out.add("{");
  for (std::size_t i = 0; i < members.size(); ++i) {
    out.add(i ? "," : "");
    out.add(dump(nlohmann::json(*members[i].first)));
    out.add(":");
    hash_canonical(*members[i].second, out, levels - 1);
  }
  out.add("}");
}

// Results documents: the top level, "checks", each check, its "findings", each finding whole.
constexpr int results_levels = 4;

} // namespace

std::string canonical_results_sha256(const nlohmann::json& results)
{
  Sha256Sink sink;
  hash_canonical(results, sink, results_levels, true);
  return sink.hex();
}

std::string canonical_results_sha256(const nlohmann::ordered_json& results)
{
  Sha256Sink sink;
  hash_canonical(results, sink, results_levels, true);
  return sink.hex();
}

std::string report_results_sha256(const checks::Report& report)
{
  using nlohmann::ordered_json;
  const auto envelope = checks::results_envelope(report);
  std::vector<std::pair<std::string, const ordered_json*>> members; // "checks" has no value here
  for (const auto* part : {&envelope.before, &envelope.after}) {
    for (auto it = part->begin(); it != part->end(); ++it) {
      members.emplace_back(it.key(), &it.value());
    }
  }
  members.emplace_back("checks", nullptr);
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Sha256Sink sink;
  sink.add("{");
  for (std::size_t i = 0; i < members.size(); ++i) {
    sink.add(i ? "," : "");
    sink.add(ordered_json(members[i].first).dump(-1, ' ', false, ordered_json::error_handler_t::replace));
    sink.add(":");
    if (members[i].second) {
      hash_canonical(*members[i].second, sink, 0);
      continue;
    }
    sink.add("[");
    for (std::size_t c = 0; c < report.results.size(); ++c) {
      sink.add(c ? "," : "");
      hash_canonical(checks::results_check(report, c), sink, results_levels - 2);
    }
    sink.add("]");
  }
  sink.add("}");
  return sink.hex();
}

std::string sha256_hex(std::string_view bytes)
{
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return util::to_hex(digest);
}

Result<std::string> library_digest(const std::vector<checks::Check>& checks)
{
  std::string lines;
  for (const auto& c : checks) {
    auto text = util::read_file(c.file);
    if (!text) {
      return fail(Errc::io, "cannot read check {} ({}): {}", c.id, c.file, text.error().message);
    }
    lines += fmt::format("{} {}\n", c.id, sha256_hex(*text));
  }
  return sha256_hex(lines);
}

std::string sign_note(const auditlog::LogKey& key, std::string_view text)
{
  const auto signature = key.sign(text);
  std::vector<uint8_t> blob(key.public_key().id.begin(), key.public_key().id.end());
  blob.insert(blob.end(), signature.begin(), signature.end());
  return fmt::format("{}\n{}{} {}\n", text, em_dash_space, key.public_key().name, auditlog::base64_encode(blob));
}

void sign_results(nlohmann::ordered_json& results, Binding binding, const auditlog::LogKey& key)
{
  results.erase(signature_member);
  binding.results_sha256 = canonical_results_sha256(results);
  results[signature_member] = results_signature(binding, key);
}

nlohmann::ordered_json results_signature(const Binding& binding, const auditlog::LogKey& key)
{
  return {{"format", signature_format}, {"key", key.public_key().vkey()}, {"note", sign_note(key, binding_text(binding))}};
}

Result<Binding> verify_results(const nlohmann::json& results, const VerifyOptions& o)
{
  const std::string rerun = "run `complycli check ... --results FILE` again in the workspace";
  if (!results.is_object() || !results.contains(signature_member) || !results[signature_member].is_object() ||
      !results[signature_member].contains("note") || !results[signature_member]["note"].is_string()) {
    return fail_with_hint(Errc::chain_broken, rerun + " (results are signed when a workspace exists: `complycli init`)",
                          "{}: the results are not signed (no \"signature\" from `complycli check --results`)", o.file);
  }
  std::set<std::string> seen;
  if (results.contains("checks") && results["checks"].is_array()) {
    for (const auto& check : results["checks"]) {
      const auto id = check.is_object() ? check.value("id", "") : "";
      if (!seen.insert(id).second) {
        return fail_with_hint(Errc::chain_broken, "a results file lists each check once; " + rerun, "{}: check id {} appears twice", o.file, id);
      }
    }
  }
  const auto note = results[signature_member]["note"].get<std::string>();
  std::optional<std::string> text;
  std::string last_error;
  for (const auto& key : o.trusted) {
    auto verified = auditlog::verify_note(note, key);
    if (verified) {
      text = std::string(*verified);
      break;
    }
    last_error = verified.error().message;
  }
  if (!text) {
    const auto signers = signer_names(note);
    bool by_trusted_name = false;
    for (const auto& name : signers) {
      for (const auto& key : o.trusted) {
        by_trusted_name = by_trusted_name || key.name == name;
      }
    }
    if (!by_trusted_name) {
      std::string names;
      for (const auto& n : signers) {
        names += (names.empty() ? "" : ", ") + n;
      }
      return fail_with_hint(Errc::chain_broken,
                            "results from another workspace are accepted only with --pubkey FILE naming its log key "
                            "(`complycli audit pubkey` there), and only if you trust it",
                            "{}: the results are signed by {}, not by a key this command trusts ({})", o.file,
                            names.empty() ? "no key" : names, key_list(o.trusted));
    }
    return fail_with_hint(Errc::chain_broken, rerun, "{}: the results' signature does not verify ({}): the signed note was edited",
                          o.file, last_error);
  }
  auto binding = parse_binding(*text);
  if (!binding) {
    return fail_with_hint(Errc::chain_broken, rerun, "{}: {}", o.file, binding.error().message);
  }
  const auto digest = canonical_results_sha256(results);
  if (digest != binding->results_sha256) {
    return fail_with_hint(Errc::chain_broken, rerun + "; never edit a results file by hand",
                          "{}: the results were changed after they were signed: their digest is {}, the signature "
                          "covers {}",
                          o.file, digest, binding->results_sha256);
  }
  const std::string today = results.contains("today") && results["today"].is_string() ? results["today"].get<std::string>() : "";
  if (today != binding->evaluated) {
    return fail_with_hint(Errc::chain_broken, rerun, "{}: the results say they evaluated on {}, the signature says {}",
                          o.file, today.empty() ? "(no date)" : today, binding->evaluated);
  }
  std::string recorded_profile = "none";
  if (results.contains("profile") && results["profile"].is_object() && results["profile"].contains("sha256") &&
      results["profile"]["sha256"].is_string()) {
    recorded_profile = results["profile"]["sha256"].get<std::string>();
  }
  if (recorded_profile != binding->profile_sha256) {
    return fail_with_hint(Errc::chain_broken, rerun, "{}: the results name profile SHA-256 {}, the signature {}", o.file,
                          recorded_profile, binding->profile_sha256);
  }
  if (o.profile_sha256 && *o.profile_sha256 != binding->profile_sha256) {
    return fail_with_hint(Errc::chain_broken,
                          "run `complycli check --results FILE` against the profile this document renders from",
                          "{}: the results are for another profile: they were checked against profile SHA-256 {}, the "
                          "document renders profile SHA-256 {}",
                          o.file, binding->profile_sha256, *o.profile_sha256);
  }
  return *binding;
}

Result<auditlog::PublicKey> load_vkey(const std::filesystem::path& path)
{
  const auto text = TRY(util::read_file(path));
  auto key = auditlog::parse_vkey(text);
  if (!key) {
    return fail_with_hint(Errc::usage, "`complycli audit pubkey` prints a workspace's verifier key",
                          "{}: {}", path.string(), key.error().message);
  }
  return *key;
}

} // namespace complycli::attest
