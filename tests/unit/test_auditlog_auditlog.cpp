#include "auditlog/auditlog.hpp"
#include "test_support.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sstream>
#include <sys/stat.h>

using namespace complycli;
using namespace complycli::auditlog;

namespace {

// Tamper with the database as an attacker would: through SQLite itself, triggers dropped first.
void sql(const std::filesystem::path &db, const std::string &statements)
{
  sqlite3 *handle = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
  char *message = nullptr;
  const int rc = sqlite3_exec(handle, statements.c_str(), nullptr, nullptr, &message);
  INFO(statements << ": " << (message ? message : ""));
  sqlite3_free(message);
  sqlite3_close(handle);
  REQUIRE(rc == SQLITE_OK);
}

const char *drop_triggers = "DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete; "
                            "DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;";

struct Fixture {
  test::TestContext t;
  std::filesystem::path db = t.path("audit.db");
  std::filesystem::path key = t.path("log.key");

  Fixture() { REQUIRE(sodium_init() >= 0); }

  AuditLog open()
  {
    auto log = AuditLog::open(db, key);
    REQUIRE_MESSAGE(log, (log ? "" : log.error().message));
    return std::move(*log);
  }

  void append(int n)
  {
    auto log = open();
    for (int i = 0; i < n; ++i) {
      NewEntry entry;
      entry.actor = i % 2 ? "alice" : "bob";
      entry.action = "matter.access";
      entry.target = fmt::format("matter/{}", i);
      entry.details = {{"i", i}, {"ip", "10.0.0.1"}};
      REQUIRE(log.append(entry));
    }
  }

  VerifyReport verify(const VerifyOptions &options = {})
  {
    auto log = open();
    auto report = log.verify(options);
    REQUIRE_MESSAGE(report, (report ? "" : report.error().message));
    return *report;
  }

  // The first problem verify finds: (sequence number, kind).
  std::pair<int64_t, std::string> problem(const VerifyOptions &options = {})
  {
    const auto report = verify(options);
    REQUIRE(report.problem);
    INFO(report.problem->message);
    return {report.problem->seq, report.problem->kind};
  }

  std::string checkpoint_note()
  {
    auto log = open();
    auto checkpoint = log.checkpoint();
    REQUIRE(checkpoint);
    return checkpoint->note;
  }
};

using P = std::pair<int64_t, std::string>;

} // namespace

TEST_CASE("auditlog::append and verify")
{
  Fixture f;

  SUBCASE("a new log is empty, private, in WAL mode, and verifies")
  {
    auto log = f.open();
    const auto report = log.verify({});
    REQUIRE(report);
    CHECK_FALSE(report->problem);
    CHECK(report->entries == 0);
    struct stat st {};
    REQUIRE(::stat(f.db.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(f.key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto mode = log.database().prepare("PRAGMA journal_mode");
    REQUIRE(mode);
    REQUIRE(mode->step().value());
    CHECK(mode->text(0) == "wal");
  }

  SUBCASE("entries chain from 1 without gaps and verify")
  {
    f.append(5);
    auto log = f.open();
    const auto third = log.get(3).value();
    REQUIRE(third);
    CHECK(third->prev_hash == log.get(2).value()->hash);
    CHECK(third->details == R"({"i":2,"ip":"10.0.0.1"})");
    CHECK(third->time.size() == 27);
    CHECK(log.get(1).value()->prev_hash == Hash{});
    CHECK_FALSE(log.get(6).value());
    const auto report = f.verify();
    CHECK_FALSE(report.problem);
    CHECK(report.entries == 5);
    CHECK(report.head == log.get(5).value()->hash);
    CHECK(report.triggers_present);
  }

  SUBCASE("bad input is refused and appends nothing")
  {
    auto log = f.open();
    NewEntry entry;
    entry.action = "x";
    entry.outcome = "maybe";
    CHECK(log.append(entry).error().code == Errc::usage);
    entry.outcome = "ok";
    entry.details = nlohmann::json::array();
    CHECK(log.append(entry).error().code == Errc::usage);
    CHECK(log.stats().value().entries == 0);
  }

  SUBCASE("the triggers refuse UPDATE and DELETE")
  {
    f.append(2);
    f.checkpoint_note();
    auto log = f.open();
    CHECK_FALSE(log.database().exec("UPDATE entries SET actor = 'mallory' WHERE seq = 1"));
    CHECK_FALSE(log.database().exec("DELETE FROM entries WHERE seq = 2"));
    CHECK_FALSE(log.database().exec("DELETE FROM checkpoints"));
    CHECK(log.stats().value().entries == 2);
  }

  SUBCASE("a checkpoint is made automatically every 1000 entries and verifies")
  {
    std::stringstream lines;
    for (int i = 0; i < 2500; ++i) {
      lines << R"({"action":"a","target":"t"})"
            << "\n";
    }
    auto log = f.open();
    REQUIRE(log.import(lines, "lines", "importer").value() == 2500);
    const auto checkpoints = log.checkpoints().value();
    REQUIRE(checkpoints.size() == 2);
    CHECK(checkpoints[0].size == 1000);
    CHECK(checkpoints[1].size == 2000);
    const auto report = f.verify();
    CHECK_FALSE(report.problem);
    CHECK(report.checkpoints == 2);

    // Deleting an automatic checkpoint is noticed.
    sql(f.db, std::string(drop_triggers) + "DELETE FROM checkpoints WHERE size = 2000");
    CHECK(f.problem() == P{2000, "missing checkpoint"});
  }
}

TEST_CASE("auditlog::verify finds the first bad entry")
{
  Fixture f;
  f.append(5);
  const std::string checkpoint_at_5 = f.checkpoint_note();

  SUBCASE("editing any field of an entry is a hash mismatch at that entry")
  {
    for (const char *field : {"time", "actor", "action", "target", "outcome", "details"}) {
      Fixture g;
      g.append(5);
      sql(g.db,
          fmt::format("{} UPDATE entries SET {} = {} || 'x' WHERE seq = 3", drop_triggers, field, field));
      INFO(field);
      CHECK(g.problem() == P{3, "hash mismatch"});
    }
    sql(f.db, fmt::format("{} UPDATE entries SET hash = zeroblob(32) WHERE seq = 4", drop_triggers));
    CHECK(f.problem() == P{4, "hash mismatch"});
  }

  SUBCASE("editing the previous hash is a broken link")
  {
    sql(f.db, fmt::format("{} UPDATE entries SET prev_hash = randomblob(32) WHERE seq = 2", drop_triggers));
    CHECK(f.problem() == P{2, "broken link"});
  }

  SUBCASE("deleting an entry is a gap")
  {
    sql(f.db, fmt::format("{} DELETE FROM entries WHERE seq = 3", drop_triggers));
    CHECK(f.problem() == P{3, "gap"});
  }

  SUBCASE("changing a sequence number is a gap")
  {
    sql(f.db, fmt::format("{} UPDATE entries SET seq = 9 WHERE seq = 2", drop_triggers));
    CHECK(f.problem() == P{2, "gap"});
  }

  SUBCASE("inserting an entry in the middle is caught at the inserted entry")
  {
    sql(f.db,
        fmt::format("{} UPDATE entries SET seq = seq + 100 WHERE seq >= 3; "
                    "UPDATE entries SET seq = seq - 99 WHERE seq >= 103; "
                    "INSERT INTO entries SELECT 3, time, 'mallory', action, target, outcome, details, hash, "
                    "randomblob(32) FROM entries WHERE seq = 2",
                    drop_triggers));
    CHECK(f.problem() == P{3, "hash mismatch"});
  }

  SUBCASE("inserting an entry with a correctly computed hash still breaks the next one")
  {
    // The attacker knows the encoding: entry 3 verifies, old entry 3 (now 4) does not.
    auto log = f.open();
    auto two = log.get(2).value().value();
    EntryHasher hasher;
    const auto forged = hasher.hash(EntryFields{3, two.time, "mallory", "x", "y", "ok", "{}"}, two.hash);
    auto stmt = sqlite3_mprintf(
        "%s UPDATE entries SET seq = seq + 100 WHERE seq >= 3; "
        "UPDATE entries SET seq = seq - 99 WHERE seq >= 103; "
        "INSERT INTO entries VALUES (3, '%q', 'mallory', 'x', 'y', 'ok', '{}', x'%q', x'%q')",
        drop_triggers, two.time.c_str(), util::to_hex(two.hash).c_str(), util::to_hex(forged).c_str());
    sql(f.db, stmt);
    sqlite3_free(stmt);
    CHECK(f.problem() == P{4, "broken link"});
  }

  SUBCASE("swapping two entries is a broken link at the first of them")
  {
    sql(f.db, fmt::format(
                  "{} UPDATE entries SET seq = 100 WHERE seq = 3; UPDATE entries SET seq = 3 WHERE seq = 4; "
                  "UPDATE entries SET seq = 4 WHERE seq = 100",
                  drop_triggers));
    CHECK(f.problem() == P{3, "broken link"});
  }

  SUBCASE("a duplicated sequence number is a duplicate")
  {
    sql(f.db,
        "CREATE TABLE copy AS SELECT * FROM entries; INSERT INTO copy SELECT * FROM entries WHERE seq = 3; "
        "DROP TABLE entries; ALTER TABLE copy RENAME TO entries;");
    CHECK(f.problem() == P{3, "duplicate"});
  }

  SUBCASE("truncating the tail is caught by a stored checkpoint")
  {
    sql(f.db, fmt::format("{} DELETE FROM entries WHERE seq >= 4", drop_triggers));
    CHECK(f.problem() == P{4, "log shorter than checkpoint"});
  }

  SUBCASE("truncating the tail and the checkpoints is caught only by an anchor")
  {
    sql(f.db, fmt::format("{} DELETE FROM entries WHERE seq >= 4; DELETE FROM checkpoints", drop_triggers));
    CHECK_FALSE(f.verify().problem);
    VerifyOptions options;
    options.anchors.push_back({"cp.txt", checkpoint_at_5});
    CHECK(f.problem(options) == P{4, "log shorter than anchor"});
  }

  SUBCASE("a consistent rewrite of the whole chain is caught only by an anchor")
  {
    // The attacker rewrites every entry's actor and recomputes every hash, and drops the checkpoints.
    auto log = f.open();
    std::vector<Entry> entries;
    REQUIRE(log.for_each({}, [&](const Entry &e) -> Result<void> {
      entries.push_back(e);
      return {};
    }));
    EntryHasher hasher;
    Hash prev{};
    std::string statements = std::string(drop_triggers) + "DELETE FROM checkpoints;";
    for (auto &e : entries) {
      e.actor = "mallory";
      const auto h =
          hasher.hash(EntryFields{e.seq, e.time, e.actor, e.action, e.target, e.outcome, e.details}, prev);
      statements +=
          fmt::format("UPDATE entries SET actor = 'mallory', prev_hash = x'{}', hash = x'{}' WHERE seq = {};",
                      util::to_hex(prev), util::to_hex(h), e.seq);
      prev = h;
    }
    sql(f.db, statements);
    CHECK_FALSE(f.verify().problem);
    VerifyOptions options;
    options.anchors.push_back({"cp.txt", checkpoint_at_5});
    CHECK(f.problem(options) == P{5, "anchor hash not in log"});
  }

  SUBCASE("a checkpoint forged with another key fails")
  {
    auto other = LogKey::generate().value();
    Hash head{};
    const auto note = sign_checkpoint(
        other, CheckpointBody{other.public_key().name, 3, head, "2026-01-01T00:00:00.000000Z", std::nullopt});
    auto stmt =
        sqlite3_mprintf("INSERT INTO checkpoints(size, time, note) VALUES (3, 'x', '%q')", note.c_str());
    sql(f.db, stmt);
    sqlite3_free(stmt);
    CHECK(f.problem() == P{3, "bad checkpoint signature"});
  }

  SUBCASE("a checkpoint over a different log is not a prefix")
  {
    auto log = f.open();
    // Signed with the real key (e.g. before a rewrite) but over another head.
    const auto key = LogKey::parse(util::read_file(f.key).value()).value();
    Hash other_head{};
    other_head[5] = 1;
    const auto note = sign_checkpoint(key, CheckpointBody{key.public_key().name, 2, other_head, "t", std::nullopt});
    auto stmt =
        sqlite3_mprintf("INSERT INTO checkpoints(size, time, note) VALUES (2, 'x', '%q')", note.c_str());
    sql(f.db, stmt);
    sqlite3_free(stmt);
    CHECK(f.problem() == P{2, "checkpoint not a prefix"});
  }

  SUBCASE("an anchor that extends or equals the log verifies; a forged anchor does not")
  {
    f.append(3);
    VerifyOptions options;
    options.anchors.push_back({"cp.txt", checkpoint_at_5});
    const auto report = f.verify(options);
    CHECK_FALSE(report.problem);
    CHECK(report.anchors == 1);
    auto other = LogKey::generate().value();
    options.anchors[0].note = sign_checkpoint(other, CheckpointBody{other.public_key().name, 5, Hash{}, "t", std::nullopt});
    CHECK(f.problem(options).second == "bad anchor signature");
  }

  SUBCASE("--pubkey: the right key verifies, another key does not")
  {
    auto log = f.open();
    VerifyOptions options;
    options.pubkey = log.public_key().value();
    CHECK_FALSE(f.verify(options).problem);
    options.pubkey = LogKey::generate().value().public_key();
    CHECK(f.problem(options) == P{5, "bad checkpoint signature"});
  }
}

TEST_CASE("auditlog::verify in two threads finds the same first bad entry")
{
  Fixture f;
  f.append(9); // mid = 4 with the threshold lowered to 2
  VerifyOptions parallel;
  parallel.parallel_threshold = 2;
  CHECK_FALSE(f.verify(parallel).problem);
  CHECK(f.verify(parallel).entries == 9);
  CHECK(f.verify(parallel).head == f.verify().head);

  SUBCASE("an edit in either half")
  {
    sql(f.db, fmt::format("{} UPDATE entries SET actor = 'x' WHERE seq = 7", drop_triggers));
    CHECK(f.problem(parallel) == P{7, "hash mismatch"});
    sql(f.db, "UPDATE entries SET actor = 'x' WHERE seq = 2");
    CHECK(f.problem(parallel) == P{2, "hash mismatch"});
  }
  SUBCASE("a deletion at the end of the first half")
  {
    sql(f.db, fmt::format("{} DELETE FROM entries WHERE seq = 4", drop_triggers));
    CHECK(f.problem(parallel) == P{4, "gap"});
  }
  SUBCASE("a deletion at the start of the second half")
  {
    sql(f.db, fmt::format("{} DELETE FROM entries WHERE seq = 5", drop_triggers));
    CHECK(f.problem(parallel) == P{5, "gap"});
  }
  SUBCASE("a swap across the halves")
  {
    sql(f.db, fmt::format(
                  "{} UPDATE entries SET seq = 100 WHERE seq = 4; UPDATE entries SET seq = 4 WHERE seq = 5; "
                  "UPDATE entries SET seq = 5 WHERE seq = 100",
                  drop_triggers));
    CHECK(f.problem(parallel) == P{4, "broken link"});
  }
  SUBCASE("a broken link at the start of the second half")
  {
    sql(f.db, fmt::format("{} UPDATE entries SET prev_hash = zeroblob(32) WHERE seq = 5", drop_triggers));
    CHECK(f.problem(parallel) == P{5, "broken link"});
  }
  SUBCASE("a checkpoint in the second half")
  {
    f.checkpoint_note(); // size 9
    sql(f.db, fmt::format("{} DELETE FROM entries WHERE seq = 9", drop_triggers));
    CHECK(f.problem(parallel) == P{9, "log shorter than checkpoint"});
  }
}

TEST_CASE("auditlog::import")
{
  Fixture f;
  f.append(1);

  SUBCASE("valid lines are appended with defaults; export lines are accepted")
  {
    std::stringstream in(R"({"action":"login","target":"web","actor":"bob","details":{"z":1,"a":2}}
{"action":"logout","target":"web","outcome":"denied","time":"2026-01-01T00:00:00Z"}

{"seq":9,"hash":"x","prev_hash":"y","action":"a","target":"b"}
)");
    auto log = f.open();
    CHECK(log.import(in, "in.jsonl", "carol").value() == 3);
    const auto two = log.get(2).value().value();
    CHECK(two.actor == "bob");
    CHECK(two.details == R"({"a":2,"z":1})");
    const auto three = log.get(3).value().value();
    CHECK(three.actor == "carol");
    CHECK(three.outcome == "denied");
    CHECK(three.time == "2026-01-01T00:00:00.000000Z");
    CHECK_FALSE(f.verify().problem);
  }

  SUBCASE("bad JSON names line and column, and nothing is imported")
  {
    std::stringstream in(
        "{\"action\":\"a\",\"target\":\"b\"}\n{\"action\":\"a\",\"target\":\"b\"}\n{\"action\": \"a\",, }\n");
    auto log = f.open();
    auto result = log.import(in, "in.jsonl", "x");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::parse);
    INFO(result.error().message);
    CHECK(result.error().message.starts_with("in.jsonl:3:16: "));
    CHECK(log.stats().value().entries == 1);
  }

  SUBCASE("valid JSON with bad fields names the line")
  {
    for (const auto *line :
         {R"([1,2])", R"({"target":"b"})", R"({"action":"a"})",
          R"({"action":"a","target":"b","outcome":"maybe"})", R"({"action":"a","target":"b","details":[]})",
          R"({"action":"a","target":"b","colour":"red"})",
          R"({"action":"a","target":"b","time":"yesterday"})", R"({"action":1,"target":"b"})"}) {
      std::stringstream in;
      in << R"({"action":"a","target":"b"})" << '\n' << line << '\n';
      auto log = f.open();
      auto result = log.import(in, "x", "x");
      INFO(line);
      REQUIRE_FALSE(result);
      CHECK(result.error().code == Errc::parse);
      CHECK(result.error().message.starts_with("x:2:1: "));
      CHECK(log.stats().value().entries == 1);
    }
  }
}

TEST_CASE("auditlog::open refuses what it cannot read")
{
  Fixture f;

  SUBCASE("a newer schema version")
  {
    f.append(1);
    sql(f.db, "DROP TRIGGER meta_no_update; UPDATE meta SET value = '3' WHERE key = 'schema_version'");
    auto log = AuditLog::open(f.db, f.key);
    REQUIRE_FALSE(log);
    CHECK(log.error().code == Errc::io);
    CHECK(log.error().message.find("schema version 3") != std::string::npos);
    CHECK(log.error().hint.find("upgrade") != std::string::npos);
  }

  SUBCASE("a file that is not a database")
  {
    REQUIRE(util::write_file_atomic(f.db, std::string(5000, 'x'), util::Overwrite::yes));
    auto log = AuditLog::open(f.db, f.key);
    REQUIRE_FALSE(log);
    CHECK(log.error().code == Errc::io);
    CHECK(log.error().message.find("is not a complycli audit database") != std::string::npos);
  }

  SUBCASE("another application's database")
  {
    sql(f.db, "CREATE TABLE t(x)");
    auto log = AuditLog::open(f.db, f.key);
    REQUIRE_FALSE(log);
    CHECK(log.error().message.find("is not a complycli audit database") != std::string::npos);
  }

  SUBCASE("a log key that does not belong to the log")
  {
    f.append(1);
    auto other = LogKey::generate().value();
    REQUIRE(util::write_file_atomic(f.key, other.serialize(), util::Overwrite::yes, 0600));
    auto log = f.open();
    auto checkpoint = log.checkpoint();
    REQUIRE_FALSE(checkpoint);
    CHECK(checkpoint.error().code == Errc::io);
    CHECK(checkpoint.error().message.find("does not match") != std::string::npos);
    auto report = log.verify({});
    REQUIRE_FALSE(report);
    CHECK(report.error().code == Errc::io);
  }

  SUBCASE("a missing key for an existing log is never recreated")
  {
    f.append(1);
    std::filesystem::remove(f.key);
    auto log = f.open();
    CHECK(log.checkpoint().error().message.find("is missing") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(f.key));
  }
}
