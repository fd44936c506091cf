#include "auditlog/entry.hpp"
#include "auditlog/export.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

using namespace complycli;
using namespace complycli::auditlog;

TEST_CASE("auditlog::encode_entry")
{
  const EntryFields fields{1,    "2026-01-02T03:04:05.000006Z", "alice", "matter.create", "acme",
                           "ok", R"({"a":1,"b":"x"})"};
  const Hash zero{};

  SUBCASE("the layout is domain, u64 seq, length-prefixed fields, previous hash")
  {
    std::string out;
    encode_entry(out, fields, zero);
    CHECK(out.size() == 155);
    CHECK(out.substr(0, 25) == std::string("complycli-audit-entry-v1\0", 25));
    CHECK(out.substr(25, 8) == std::string("\0\0\0\0\0\0\0\1", 8));
    CHECK(out.substr(33, 4) == std::string("\0\0\0\x1b", 4)); // 27 bytes of time
    CHECK(out.substr(37, 27) == "2026-01-02T03:04:05.000006Z");
    CHECK(out.substr(out.size() - 32) == std::string(32, '\0'));
  }

  SUBCASE("known answers (computed independently with Python's hashlib, see docs/audit-log.md)")
  {
    EntryHasher hasher;
    const auto first = hasher.hash(fields, zero);
    CHECK(util::to_hex(first) == "72432afa26a27984c84d7930296524d177fdf545abc3e051be31b11c375a9ce7");
    const auto second =
        hasher.hash(EntryFields{2, "2026-01-02T03:04:06.000000Z", "bob", "encrypt", "", "denied", "{}"}, first);
    CHECK(util::to_hex(second) == "737a77d89aa3663a15621fab2f7f8028151a65b326258e992d5c908362e9b20b");
  }

  SUBCASE("the hash and the leaf hash agree with libsodium's SHA-256 for details of 0 to 20,000 bytes")
  {
    EntryHasher hasher;
    std::string details;
    Hash prev = zero;
    for (std::size_t length = 0; length <= 20000; length += length < 300 ? 1 : 997) {
      details.assign(length, static_cast<char>('a' + length % 26));
      auto changed = fields;
      changed.details = details;
      std::string encoded(1, '\0');
      encode_entry(encoded, changed, prev);
      const auto *bytes = reinterpret_cast<const unsigned char *>(encoded.data());
      Hash expected{};
      Hash expected_leaf{};
      crypto_hash_sha256(expected.data(), bytes + 1, encoded.size() - 1);
      crypto_hash_sha256(expected_leaf.data(), bytes, encoded.size());
      Hash leaf{};
      const auto hash = hasher.hash(changed, prev, &leaf);
      REQUIRE(hash == expected);
      REQUIRE(leaf == expected_leaf);
      REQUIRE(hasher.leaf(changed, prev) == expected_leaf);
      prev = hash;
    }
  }

  SUBCASE("every field and the previous hash change the hash")
  {
    EntryHasher hasher;
    const auto base = hasher.hash(fields, zero);
    auto changed = fields;
    changed.seq = 2;
    CHECK(hasher.hash(changed, zero) != base);
    for (auto member : {&EntryFields::time, &EntryFields::actor, &EntryFields::action, &EntryFields::target,
                        &EntryFields::outcome, &EntryFields::details}) {
      changed = fields;
      changed.*member = "other";
      CHECK(hasher.hash(changed, zero) != base);
    }
    Hash one{};
    one[31] = 1;
    CHECK(hasher.hash(fields, one) != base);
    // Length prefixes keep field boundaries: moving a byte from actor to action changes the hash.
    changed = fields;
    changed.actor = "alicem";
    changed.action = "atter.create";
    CHECK(hasher.hash(changed, zero) != base);
  }
}

TEST_CASE("auditlog::canonical_details")
{
  CHECK(canonical_details(nlohmann::json::parse(R"({ "z": 1, "a": {"y": [1, 2], "b": null}, "é": "ü" })"))
            .value() == R"({"a":{"b":null,"y":[1,2]},"z":1,"é":"ü"})");
  CHECK(canonical_details(nlohmann::json::object()).value() == "{}");
  auto not_object = canonical_details(nlohmann::json::array());
  REQUIRE_FALSE(not_object);
  CHECK(not_object.error().code == Errc::usage);
  auto bad_utf8 = canonical_details(nlohmann::json{{"a", std::string("\xff")}});
  REQUIRE_FALSE(bad_utf8);
  CHECK(bad_utf8.error().code == Errc::usage);
}

TEST_CASE("auditlog::normalise_time")
{
  CHECK(normalise_time("2026-11-25T10:00:00Z").value() == "2026-11-25T10:00:00.000000Z");
  CHECK(normalise_time("2026-11-25T10:00:00.5Z").value() == "2026-11-25T10:00:00.500000Z");
  CHECK(normalise_time("2026-11-25T10:00:00.123456789Z").value() == "2026-11-25T10:00:00.123456Z");
  CHECK_FALSE(normalise_time("2026-11-25 10:00:00Z"));
  CHECK_FALSE(normalise_time("2026-02-30T10:00:00Z"));
  CHECK_FALSE(normalise_time("2026-11-25T25:00:00Z"));
  CHECK_FALSE(normalise_time("2026-11-25T10:00:00+01:00"));
  CHECK_FALSE(normalise_time("2026-11-25T10:00:00.Z"));
  CHECK(time_to_epoch_ms("1970-01-01T00:00:01.250000Z").value() == 1250);
  CHECK(time_to_epoch_ms("2026-11-25T00:00:00.000000Z").value() == 1795564800000);
}

TEST_CASE("auditlog::export")
{
  Entry entry;
  entry.seq = 7;
  entry.time = "2026-11-25T00:00:00.000000Z";
  entry.actor = "al=ice";
  entry.action = "a|b";
  entry.target = "line1\nline2\\";
  entry.outcome = "denied";
  entry.details = R"({"email":"a@b.c","ip":"10.0.0.1","n":1})";

  SUBCASE("CEF escapes header pipes and backslashes, extension equals, backslashes and newlines")
  {
    CHECK(cef_escape_header("a|b\\c") == "a\\|b\\\\c");
    CHECK(cef_escape_value("a=b\\c\nd\re") == "a\\=b\\\\c\\nd\\re");
    const auto line = export_line(entry, ExportFormat::cef);
    CHECK(line.starts_with("CEF:0|complycli|complycli|"));
    CHECK(line.find("|a\\|b|a\\|b denied|8|rt=1795564800000 suser=al\\=ice ") != std::string::npos);
    CHECK(line.find("cs1=line1\\nline2\\\\ ") != std::string::npos);
    CHECK(line.find("externalId=7") != std::string::npos);
    CHECK(line.back() == '\n');
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  }

  SUBCASE("CSV quotes fields with commas, quotes and newlines")
  {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    const auto line = export_line(entry, ExportFormat::csv);
    CHECK(line.starts_with("7,2026-11-25T00:00:00.000000Z,al=ice,a|b,\"line1\nline2\\\",denied,"));
    CHECK(export_header(ExportFormat::csv).starts_with("seq,time,actor"));
  }

  SUBCASE("redaction replaces the named detail fields' values and nothing else")
  {
    const auto redacted = redact(entry, {"email", "missing"});
    CHECK(redacted.details == R"({"email":"[REDACTED]","ip":"10.0.0.1","n":1})");
    CHECK(redacted.hash == entry.hash);
    CHECK(redact(entry, {}).details == entry.details);
    const auto json = nlohmann::json::parse(export_line(redact(entry, {"ip", "n"}), ExportFormat::jsonl));
    CHECK(json["details"]["ip"] == "[REDACTED]");
    CHECK(json["details"]["n"] == "[REDACTED]");
    CHECK(json["details"]["email"] == "a@b.c");
    CHECK(json["seq"] == 7);
  }
}
