#include "auditlog/note.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

using namespace complycli;
using namespace complycli::auditlog;

TEST_CASE("auditlog::note")
{
  REQUIRE(sodium_init() >= 0);

  SUBCASE("the signed-note spec's example verifies (interoperability with C2SP)")
  {
    const auto key = parse_vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
    REQUIRE(key);
    const std::string note =
        "This is an example message.\n\n"
        "\xE2\x80\x94 example.com/foo "
        "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    const auto text = verify_note(note, *key);
    REQUIRE(text);
    CHECK(*text == "This is an example message.\n");
    auto tampered = note;
    tampered[0] = 't';
    auto bad = verify_note(tampered, *key);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::chain_broken);
  }

  SUBCASE("vkeys round-trip and a wrong key ID is refused")
  {
    auto key = LogKey::generate();
    REQUIRE(key);
    const auto vkey = key->public_key().vkey();
    CHECK(vkey.starts_with("complycli.audit/"));
    CHECK(parse_vkey(vkey).value() == key->public_key());
    auto wrong = vkey;
    wrong[wrong.find('+') + 1] = wrong[wrong.find('+') + 1] == '0' ? '1' : '0';
    CHECK_FALSE(parse_vkey(wrong));
    CHECK_FALSE(parse_vkey("nonsense"));
  }

  SUBCASE("the key file round-trips")
  {
    auto key = LogKey::generate();
    REQUIRE(key);
    auto text = key->serialize();
    CHECK(text.starts_with("PRIVATE+KEY+complycli.audit/"));
    auto again = LogKey::parse(text);
    REQUIRE(again);
    CHECK(again->public_key() == key->public_key());
    CHECK(again->sign("x") == key->sign("x"));
    CHECK_FALSE(LogKey::parse("PRIVATE+KEY+x+00000000+AAAA"));
  }

  SUBCASE("a checkpoint opens with its key and only with it")
  {
    auto key = LogKey::generate();
    REQUIRE(key);
    Hash head{};
    head[0] = 0xab;
    const CheckpointBody body{key->public_key().name, 1234, head, "2026-11-25T00:00:00.000000Z", std::nullopt};
    const auto note = sign_checkpoint(*key, body);
    CHECK(note.starts_with(key->public_key().name + "\n1234\nqwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
                                                    "time 2026-11-25T00:00:00.000000Z\n\n\xE2\x80\x94 "));
    const auto opened = open_checkpoint(note, key->public_key());
    REQUIRE(opened);
    CHECK(opened->size == 1234);
    CHECK(opened->head == head);
    CHECK(opened->time == body.time);

    // Signed by another key (a forgery): not signed by the log key.
    auto other = LogKey::generate();
    REQUIRE(other);
    auto forged_body = body;
    forged_body.origin = other->public_key().name;
    auto forged = open_checkpoint(sign_checkpoint(*other, forged_body), key->public_key());
    REQUIRE_FALSE(forged);
    CHECK(forged.error().code == Errc::chain_broken);

    // The log key's name and ID with someone else's signature: a bad signature.
    const auto other_note = sign_checkpoint(*other, body);
    const auto sig_at = other_note.rfind(' ') + 1;
    auto blob =
        base64_decode(std::string_view(other_note).substr(sig_at, other_note.size() - sig_at - 1)).value();
    std::copy(key->public_key().id.begin(), key->public_key().id.end(), blob.begin());
    const auto impostor =
        checkpoint_text(body) + "\n\xE2\x80\x94 " + key->public_key().name + " " + base64_encode(blob) + "\n";
    auto bad = open_checkpoint(impostor, key->public_key());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("bad signature") != std::string::npos);

    // Changing the size or hash breaks the signature.
    auto edited = note;
    edited.replace(edited.find("1234"), 4, "1235");
    CHECK_FALSE(open_checkpoint(edited, key->public_key()));

    // Garbage is a parse error.
    auto garbage = open_checkpoint("hello", key->public_key());
    REQUIRE_FALSE(garbage);
    CHECK(garbage.error().code == Errc::parse);
  }
}
