#include "attest/manifest.hpp"
#include "attest/results.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace complycli;
using namespace complycli::attest;

namespace {

nlohmann::ordered_json sample_results()
{
  return nlohmann::ordered_json::parse(R"({
    "schema_version": 1, "generated": "2026-11-25T10:00:00Z", "today": "2026-11-25",
    "profile": {"path": "profile.yaml", "sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    "checks": [{"id": "a", "status": "pass", "findings": []}, {"id": "b", "status": "fail", "findings": []}],
    "summary": {"pass": 1, "fail": 1}
  })");
}

Binding sample_binding()
{
  Binding b;
  b.profile_sha256 = std::string(64, 'a');
  b.evaluated = "2026-11-25";
  b.checks_sha256 = std::string(64, 'c');
  b.audit_seq = 7;
  b.audit_hash = std::string(64, 'e');
  return b;
}

} // namespace

TEST_CASE("attest::results")
{
  REQUIRE(sodium_init() >= 0);
  const auto key = auditlog::LogKey::generate();
  REQUIRE(key);
  auto results = sample_results();
  sign_results(results, sample_binding(), *key);
  const auto signed_json = nlohmann::json::parse(results.dump());
  VerifyOptions options{"r.json", {key->public_key()}, std::string(64, 'a')};

  SUBCASE("a signed file verifies and keeps its fields; the binding round-trips through the note text")
  {
    const auto binding = verify_results(signed_json, options);
    REQUIRE(binding);
    CHECK(binding->audit_seq == 7);
    CHECK(binding->evaluated == "2026-11-25");
    CHECK(binding->results_sha256 == sha256_hex(canonical_results(signed_json)));
    CHECK(signed_json["checks"].size() == 2);
    const auto parsed = parse_binding(binding_text(*binding));
    REQUIRE(parsed);
    CHECK(binding_text(*parsed) == binding_text(*binding));
  }
  SUBCASE("the streamed digest is the digest of the canonical text, in either key order")
  {
    auto tricky = nlohmann::ordered_json::parse(R"({
      "z": [1, -2, 3.25, 1e300, -0.5, true, false, null, [], {}, [[{}]]],
      "a\u00e9": "caf\u00e9 \"quoted\" back\\slash \u0001 tab\t line\n \u2028 \ud83d\ude00",
      "Zeta": {"y": {"b": 1, "a": 2, "B": 3, "_": 4, "\u00e0": 5, "\u0000": 6}},
      "signature": {"note": "left out at the top"},
      "": "empty key",
      "checks": [{"signature": "kept below the top", "id": "x"}]
    })");
    tricky["bad_utf8"] = std::string("ok \xff\xfe end");
    const auto text = canonical_results(nlohmann::json::parse(tricky.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    CHECK(text.find("left out at the top") == std::string::npos);
    CHECK(text.find("kept below the top") != std::string::npos);
    CHECK(canonical_results_sha256(tricky) == sha256_hex(text));
    CHECK(canonical_results_sha256(nlohmann::json::parse(tricky.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))) ==
          sha256_hex(text));
    CHECK(canonical_results_sha256(results) == sha256_hex(canonical_results(signed_json)));
    tricky["Zeta"]["y"]["a"] = 3;
    CHECK(canonical_results_sha256(tricky) != sha256_hex(text));
  }
  SUBCASE("canonical form ignores key order and whitespace")
  {
    auto reordered = nlohmann::json::parse(signed_json.dump(4));
    CHECK(canonical_results(reordered) == canonical_results(signed_json));
  }
  SUBCASE("refusals")
  {
    auto edited = signed_json;
    edited["checks"][1]["status"] = "pass";
    auto r = verify_results(edited, options);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::chain_broken);
    CHECK(r.error().message.find("changed after they were signed") != std::string::npos);

    auto unsigned_json = signed_json;
    unsigned_json.erase("signature");
    r = verify_results(unsigned_json, options);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("not signed") != std::string::npos);

    const auto other = auditlog::LogKey::generate();
    REQUIRE(other);
    VerifyOptions foreign{"r.json", {other->public_key()}, std::string(64, 'a')};
    r = verify_results(signed_json, foreign);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("not by a key this command trusts") != std::string::npos);
    foreign.trusted.push_back(key->public_key()); // --pubkey
    CHECK(verify_results(signed_json, foreign));

    VerifyOptions profile{"r.json", {key->public_key()}, std::string(64, 'b')};
    r = verify_results(signed_json, profile);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("for another profile") != std::string::npos);

    auto dup = sample_results();
    dup["checks"].push_back({{"id", "a"}, {"status", "fail"}});
    sign_results(dup, sample_binding(), *key);
    r = verify_results(nlohmann::json::parse(dup.dump()), options);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("check id a appears twice") != std::string::npos);

    auto forged = signed_json;
    auto note = forged["signature"]["note"].get<std::string>();
    note.replace(note.find("evaluated 2026-11-25"), 20, "evaluated 2026-11-26");
    forged["signature"]["note"] = note;
    r = verify_results(forged, options);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("does not verify") != std::string::npos);
  }
}

TEST_CASE("attest::manifest verify_folder")
{
  REQUIRE(sodium_init() >= 0);
  const auto key = auditlog::LogKey::generate();
  REQUIRE(key);
  auditlog::CheckpointBody body;
  body.origin = key->public_key().name;
  body.size = 8;
  const auto checkpoint = auditlog::sign_checkpoint(*key, body);
  ManifestInputs in;
  in.document_date = "2026-11-26";
  in.profile_sha256 = std::string(64, 'a');
  in.results = sample_binding();
  in.checkpoint = checkpoint;
  in.files = {{"index.md", "# Page\n\nVerified by checks: a, b\n"}, {"security.txt", "Contact: x\n"}};
  in.claims = {{"enc", "Encryption", "Verified by checks: a, b", {{"a", "pass"}, {"b", "pass"}}}};
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("attest-test-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& [name, text] : in.files) {
    std::ofstream(dir / name) << text;
  }
  std::ofstream(dir / manifest_name) << claims_manifest(in, *key).dump(2);

  auto report = verify_folder(dir, key->public_key(), {{"old", checkpoint}});
  INFO((report ? std::string() : report.error().message));
  REQUIRE(report);
  CHECK(report->claims == 1);
  CHECK(report->files == 2);

  body.size = 12;
  auto newer = verify_folder(dir, key->public_key(), {{"newer", auditlog::sign_checkpoint(*key, body)}});
  REQUIRE_FALSE(newer);
  CHECK(newer.error().message.find("the anchor covers 12 entries") != std::string::npos);

  const auto other = auditlog::LogKey::generate();
  REQUIRE(other);
  CHECK_FALSE(verify_folder(dir, other->public_key(), {}));

  std::ofstream(dir / "index.md") << "# Page\n\nVerified by checks: a, b, c\n";
  auto edited = verify_folder(dir, key->public_key(), {});
  REQUIRE_FALSE(edited);
  CHECK(edited.error().code == Errc::chain_broken);
  CHECK(edited.error().message.find("edited after it was published") != std::string::npos);
  std::filesystem::remove_all(dir);
}
