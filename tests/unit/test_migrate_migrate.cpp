#include "migrate/migrate.hpp"

#include "auditlog/auditlog.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <sodium.h>
#include <sstream>

using namespace complycli;
using namespace complycli::auditlog;

namespace {

AuditLog must(Result<AuditLog> log)
{
  REQUIRE_MESSAGE(log, (log ? "" : log.error().message));
  return std::move(*log);
}

// A SQLite log of `n` entries (the import's path) with one checkpoint asked for.
void fill(const std::filesystem::path &db, const std::filesystem::path &key, int n)
{
  auto log = must(AuditLog::open(db, key));
  std::ostringstream lines;
  for (int i = 0; i < n; ++i) {
    lines << R"({"action": "doc.sign", "target": "d)" << i << R"(", "details": {"s": "a\tb\\c\nd"}})" << "\n";
  }
  std::istringstream input(lines.str());
  REQUIRE(log.import(input, "lines", "tester") == n);
  REQUIRE(log.checkpoint());
}

} // namespace

TEST_CASE("migrate::copy_log")
{
  REQUIRE(sodium_init() >= 0);
  test::TestContext t;
  const auto key = t.path("log.key");
  fill(t.path("from.db"), key, 2300);
  auto from = must(AuditLog::open(t.path("from.db"), key, util::Access::read_only));
  const auto before = from.verify({});
  REQUIRE(before);
  REQUIRE_FALSE(before->problem);

  store::MetaRows meta;
  for (const char *name : {"application", "schema_version", "origin", "public_key", "created"}) {
    meta.emplace_back(name, *from.store().meta(name));
  }
  auto created = store::SqliteLogStore::open(t.path("to.db"), util::Access::read_write, schema_version,
                                             [&]() -> Result<store::MetaRows> { return meta; });
  REQUIRE(created);
  auto to = AuditLog::over(std::move(*created), key);

  SUBCASE("every entry, checkpoint and tree node, with its hashes: the copy verifies") {
    Result<migrate::CopyCounts> counts = migrate::CopyCounts{};
    REQUIRE(to.store().write([&]() -> Result<void> {
      counts = migrate::copy_log(from.store(), to.store());
      return {};
    }));
    REQUIRE_MESSAGE(counts, (counts ? "" : counts.error().message));
    CHECK(counts->entries == 2300);
    CHECK(counts->checkpoints == 3);
    CHECK(counts->tree_nodes > 8);
    const auto after = to.verify({});
    REQUIRE(after);
    CHECK_FALSE(after->problem);
    CHECK(after->entries == before->entries);
    CHECK(after->head == before->head);
    CHECK(after->root == before->root);
    CHECK(after->checkpoints == before->checkpoints);
    // the chain continues
    NewEntry next;
    next.actor = "tester";
    next.action = "after.copy";
    REQUIRE(to.append(next));
    CHECK_FALSE(to.verify({})->problem);
  }

  SUBCASE("the automatic checkpoints a shared store's members skipped are signed for SQLite") {
    REQUIRE(to.store().write([&]() -> Result<void> {
      TRY(migrate::copy_log(from.store(), to.store()));
      return {};
    }));
    CHECK(to.sign_missing_checkpoints() == 0); // the SQLite source had them all
    REQUIRE(to.sqlite()->database().exec("DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints WHERE size = 2000"));
    const auto missing = to.verify({});
    REQUIRE(missing);
    REQUIRE(missing->problem);
    CHECK(missing->problem->kind == "missing checkpoint");
    CHECK(to.sign_missing_checkpoints() == 1);
    CHECK_FALSE(to.verify({})->problem);
  }
}
