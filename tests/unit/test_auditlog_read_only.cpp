// The audit log opened read-only: on a workspace that cannot be written (read-only media, a folder
// without write permission), reading, verifying and exporting work and leave every file as it was.
// (As root, chmod does not stop writes: the snapshots then show that the read-only open wrote nothing.)

#include "auditlog/auditlog.hpp"
#include "read_only_folder.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <filesystem>

using namespace complycli;
using namespace complycli::auditlog;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  test::TestContext t;
  core::Workspace workspace{t.path("ws")};
  fs::path db = workspace.audit_db_path();

  Fixture()
  {
    REQUIRE(sodium_init() >= 0);
    fs::create_directories(workspace.dir);
  }

  void append(int n)
  {
    auto log = AuditLog::open(workspace);
    REQUIRE_MESSAGE(log, (log ? "" : log.error().message));
    for (int i = 0; i < n; ++i) {
      NewEntry entry;
      entry.actor = "alice";
      entry.action = "matter.access";
      entry.target = fmt::format("matter/{}", i);
      REQUIRE(log->append(entry));
    }
  }

  // Copy the WAL into the database, then remove the -wal and -shm files (a copy of audit.db alone).
  void checkpoint_and_drop_wal()
  {
    sqlite3 *handle = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
    REQUIRE(sqlite3_exec(handle, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(handle);
    fs::remove(db.string() + "-wal");
    fs::remove(db.string() + "-shm");
  }

  AuditLog open_read_only()
  {
    auto log = AuditLog::open(workspace, util::Access::read_only);
    REQUIRE_MESSAGE(log, (log ? "" : log.error().message));
    return std::move(*log);
  }

  // Read everything a reading command reads; the log holds `n` entries and verifies.
  void read_all(int64_t n)
  {
    auto log = open_read_only();
    int64_t seen = 0;
    REQUIRE(log.for_each({}, [&](const Entry &) -> Result<void> {
      ++seen;
      return {};
    }));
    CHECK(seen == n);
    auto last = log.get(n);
    REQUIRE(last);
    CHECK(last->has_value());
    auto stats = log.stats();
    REQUIRE(stats);
    CHECK(stats->entries == n);
    for (const int64_t threshold : {int64_t{200000}, int64_t{2}}) { // one thread, then two connections
      VerifyOptions options;
      options.parallel_threshold = threshold;
      auto report = log.verify(options);
      REQUIRE_MESSAGE(report, (report ? "" : report.error().message));
      CHECK_FALSE(report->problem);
      CHECK(report->entries == n);
    }
    CHECK(log.public_key());
    // Writes are refused, and reach no file.
    NewEntry entry;
    entry.actor = "alice";
    entry.action = "a";
    entry.target = "b";
    auto appended = log.append(entry);
    REQUIRE_FALSE(appended);
    CHECK(appended.error().code == Errc::internal);
    REQUIRE_FALSE(log.checkpoint());
  }
};

} // namespace

TEST_CASE("auditlog: a read-only folder is read without writing any file")
{
  Fixture f;
  f.append(25);

  SUBCASE("with its -wal and -shm files (the log keeps them between runs)")
  {
    REQUIRE(fs::exists(f.db.string() + "-wal"));
    REQUIRE(fs::exists(f.db.string() + "-shm"));
    const auto before = test::snapshot(f.workspace.dir);
    {
      test::ReadOnlyFolder read_only(f.workspace.dir);
      f.read_all(25);
      auto writable = AuditLog::check_writable(f.workspace);
      REQUIRE_FALSE(writable);
      CHECK(writable.error().code == Errc::io);
      CHECK(writable.error().message.find(f.workspace.dir.string()) != std::string::npos);
    }
    const auto after = test::snapshot(f.workspace.dir);
    INFO("before: " << test::names(before) << "after: " << test::names(after));
    CHECK(before == after);
  }

  SUBCASE("without -wal and -shm (audit.db copied alone after a checkpoint)")
  {
    f.checkpoint_and_drop_wal();
    const auto before = test::snapshot(f.workspace.dir);
    {
      test::ReadOnlyFolder read_only(f.workspace.dir);
      f.read_all(25);
    }
    const auto after = test::snapshot(f.workspace.dir);
    INFO("before: " << test::names(before) << "after: " << test::names(after));
    CHECK(before == after);
  }

  SUBCASE("a WAL that holds entries without its -shm file cannot be read: the error says what to do")
  {
    fs::remove(f.db.string() + "-shm");
    const auto before = test::snapshot(f.workspace.dir);
    {
      test::ReadOnlyFolder read_only(f.workspace.dir);
      auto log = AuditLog::open(f.workspace, util::Access::read_only);
      REQUIRE_FALSE(log);
      CHECK(log.error().code == Errc::io);
      CHECK(log.error().message.find("audit.db-shm, which is missing") != std::string::npos);
      CHECK(log.error().hint.find("copy") != std::string::npos);
    }
    CHECK(before == test::snapshot(f.workspace.dir));
    // Where -shm can be created again, the log reads as before.
    f.read_all(25);
  }
}

TEST_CASE("auditlog: read-only open of a writable folder")
{
  Fixture f;

  SUBCASE("no log: an error, and nothing is created")
  {
    auto log = AuditLog::open(f.workspace, util::Access::read_only);
    REQUIRE_FALSE(log);
    CHECK(log.error().code == Errc::io);
    CHECK(log.error().message.find("there is no audit log") != std::string::npos);
    CHECK(test::files_in(f.workspace.dir) == 0);
    CHECK(AuditLog::check_writable(f.workspace));
  }

  SUBCASE("an empty database (audit.db copied without the -wal file of a young log)")
  {
    f.append(3);
    f.checkpoint_and_drop_wal();
    fs::resize_file(f.db, 0);
    auto log = AuditLog::open(f.workspace, util::Access::read_only);
    REQUIRE_FALSE(log);
    CHECK(log.error().message.find("holds no audit log") != std::string::npos);
    CHECK(log.error().hint.find("audit.db-wal") != std::string::npos);
  }

  SUBCASE("reads what writers append, and never writes")
  {
    f.append(4);
    f.read_all(4);
    f.append(2);
    f.read_all(6);
    CHECK(AuditLog::check_writable(f.workspace));
  }
}
