#include "attest/manifest.hpp"

#include "util/file.hpp"

#include <sodium.h>

namespace complycli::attest {

namespace {

constexpr const char* manifest_format = "complycli-claims-manifest/v1";

std::string manifest_note_text(std::string_view digest)
{
  return fmt::format("{}\nmanifest-sha256 {}\n", manifest_origin, digest);
}

} // namespace

nlohmann::ordered_json claims_manifest(const ManifestInputs& in, const auditlog::LogKey& key)
{
  nlohmann::ordered_json m;
  m["format"] = manifest_format;
  m["document_date"] = in.document_date;
  m["profile_sha256"] = in.profile_sha256;
  m["results"] = {{"sha256", in.results.results_sha256},
                  {"evaluated", in.results.evaluated},
                  {"checks_sha256", in.results.checks_sha256},
                  {"audit_entry", {{"seq", in.results.audit_seq}, {"hash", in.results.audit_hash}}}};
  m["log_key"] = key.public_key().vkey();
  m["checkpoint"] = in.checkpoint;
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (const auto& [name, text] : in.files) {
    files[name] = sha256_hex(text);
  }
  m["files"] = files;
  nlohmann::ordered_json claims = nlohmann::ordered_json::array();
  for (const auto& c : in.claims) {
    nlohmann::ordered_json checks = nlohmann::ordered_json::array();
    for (const auto& [id, status] : c.checks) {
      checks.push_back({{"id", id}, {"status", status}});
    }
    claims.push_back({{"id", c.id}, {"title", c.title}, {"sentence", c.sentence}, {"checks", checks}});
  }
  m["claims"] = claims;
  const auto digest = canonical_results_sha256(m);
  m[signature_member] = {{"format", "complycli-claims-signature/v1"},
                         {"key", key.public_key().vkey()},
                         {"note", sign_note(key, manifest_note_text(digest))}};
  return m;
}

Result<FolderReport> verify_folder(const std::filesystem::path& dir, const std::optional<auditlog::PublicKey>& pubkey,
                                   const std::vector<FolderAnchor>& anchors)
{
  const auto path = dir / manifest_name;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(Errc::io, "{}: no such folder", dir.string());
  }
  if (!std::filesystem::exists(path, ec)) {
    return fail_with_hint(Errc::chain_broken, "`complycli trust-page` writes it in a workspace; publish the whole folder",
                          "{}: missing: the folder has no signed claims manifest", path.string());
  }
  const auto text = TRY(util::read_file(path));
  nlohmann::json m = nlohmann::json::parse(text, nullptr, false);
  auto field = [&](const char* key) -> std::string {
    return m.is_object() && m.contains(key) && m[key].is_string() ? m[key].get<std::string>() : std::string();
  };
  if (m.is_discarded() || !m.is_object() || field("format") != manifest_format || !m.contains(signature_member) ||
      !m[signature_member].is_object() || !m[signature_member].contains("note") ||
      !m[signature_member]["note"].is_string() || !m.contains("files") || !m["files"].is_object() ||
      !m.contains("claims") || !m["claims"].is_array()) {
    return fail(Errc::chain_broken, "{}: not a {} manifest (it was edited or replaced)", path.string(), manifest_format);
  }
  FolderReport report;
  auditlog::PublicKey key;
  if (pubkey) {
    key = *pubkey;
  } else {
    auto named = auditlog::parse_vkey(field("log_key"));
    if (!named) {
      return fail(Errc::chain_broken, "{}: log_key is not a verifier key: {}", path.string(), named.error().message);
    }
    key = *named;
    report.key_from_manifest = true;
  }
  report.key_vkey = key.vkey();
  const auto note = m[signature_member]["note"].get<std::string>();
  auto signed_text = auditlog::verify_note(note, key);
  if (!signed_text) {
    return fail_with_hint(Errc::chain_broken, "get the page again from the company, or ask for the log key they publish",
                          "{}: the manifest's signature does not verify with {}: {}", path.string(), key.name,
                          signed_text.error().message);
  }
  const auto digest = canonical_results_sha256(m);
  if (*signed_text != manifest_note_text(digest)) {
    return fail(Errc::chain_broken, "{}: the manifest was changed after it was signed (its SHA-256 is {})", path.string(),
                digest);
  }
  // The files it lists, byte for byte.
  std::map<std::string, std::string> contents;
  for (const auto& [name, sha] : m["files"].items()) {
    if (name.find('/') != std::string::npos || name == ".." || !sha.is_string()) {
      return fail(Errc::chain_broken, "{}: files.{} is not a file name with a SHA-256", path.string(), name);
    }
    auto file = util::read_file(dir / name);
    if (!file) {
      return fail(Errc::chain_broken, "{}: listed in the manifest but cannot be read: {}", (dir / name).string(),
                  file.error().message);
    }
    const auto actual = sha256_hex(*file);
    if (actual != sha.get<std::string>()) {
      return fail_with_hint(Errc::chain_broken, "the published page differs from what complycli signed: ask the company",
                            "{}: edited after it was published: SHA-256 {}, the manifest says {}", (dir / name).string(),
                            actual, sha.get<std::string>());
    }
    contents[name] = std::move(*file);
    ++report.files;
  }
  // Every claim the manifest lists is stated on the page.
  std::string page;
  for (const auto& [name, content] : contents) {
    if (name.starts_with("index.")) {
      page = content;
    }
  }
  for (const auto& claim : m["claims"]) {
    const std::string sentence = claim.is_object() ? claim.value("sentence", "") : "";
    if (sentence.empty() || page.find(sentence) == std::string::npos) {
      return fail(Errc::chain_broken, "{}: the claim \"{}\" is in the manifest but not on the page",
                  path.string(), claim.is_object() ? claim.value("title", sentence) : sentence);
    }
    ++report.claims;
  }
  // The log's checkpoint, and the anchors the verifier holds.
  const auto checkpoint_note = field("checkpoint");
  auto checkpoint = auditlog::open_checkpoint(checkpoint_note, key);
  if (!checkpoint) {
    return fail(Errc::chain_broken, "{}: the log checkpoint does not verify: {}", path.string(), checkpoint.error().message);
  }
  report.checkpoint_size = checkpoint->size;
  if (m.contains("results") && m["results"].is_object() && m["results"].contains("audit_entry") &&
      m["results"]["audit_entry"].is_object() && m["results"]["audit_entry"].value("seq", int64_t{0}) > checkpoint->size) {
    return fail(Errc::chain_broken, "{}: the results' audit entry {} is beyond the checkpoint's {} entries", path.string(),
                m["results"]["audit_entry"].value("seq", int64_t{0}), checkpoint->size);
  }
  for (const auto& anchor : anchors) {
    auto held = auditlog::open_checkpoint(anchor.note, key);
    if (!held) {
      return fail(Errc::chain_broken, "{}: the anchor does not verify with {}: {}", anchor.name, key.name,
                  held.error().message);
    }
    if (held->size > checkpoint->size) {
      return fail_with_hint(Errc::chain_broken, "the page may be older than the log you hold: ask for the current one",
                            "{}: the anchor covers {} entries, the page's checkpoint only {}", anchor.name, held->size,
                            checkpoint->size);
    }
    if (held->size == checkpoint->size && *auditlog::verify_note(anchor.note, key) != *auditlog::verify_note(checkpoint_note, key)) {
      return fail(Errc::chain_broken, "{}: the anchor and the page's checkpoint cover {} entries but differ: the log was "
                                      "rewritten",
                  anchor.name, held->size);
    }
    ++report.anchors;
  }
  return report;
}

Result<auditlog::LogKey> load_log_key(const std::filesystem::path& path)
{
  auto text = TRY(util::read_file(path));
  auto key = auditlog::LogKey::parse(text);
  sodium_memzero(text.data(), text.size());
  if (!key) {
    return fail(Errc::io, "{}: {}", path.string(), key.error().message);
  }
  return std::move(*key);
}

} // namespace complycli::attest
