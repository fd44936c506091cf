#include "util/atomic_file.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

using namespace complycli;
using test::files_in;
namespace fs = std::filesystem;

TEST_CASE("util::AtomicFile")
{
  test::TestContext t;
  const auto target = t.path("out.txt");

  SUBCASE("nothing appears at the target until commit")
  {
    auto file = util::AtomicFile::create(target, util::Overwrite::no, 0600);
    REQUIRE(file);
    REQUIRE(file->write("hello"));
    CHECK_FALSE(fs::exists(target));
    CHECK(fs::exists(file->temporary_path()));
    REQUIRE(file->commit());
    CHECK(util::read_file(target).value() == "hello");
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(files_in(t.dir()) == 1);
  }

  SUBCASE("an uncommitted file leaves nothing behind")
  {
    {
      auto file = util::AtomicFile::create(target, util::Overwrite::no);
      REQUIRE(file);
      REQUIRE(file->write("partial"));
    }
    CHECK_FALSE(fs::exists(target));
    CHECK(files_in(t.dir()) == 0);
  }

  SUBCASE("an existing file is kept without Overwrite::yes")
  {
    REQUIRE(util::write_file_atomic(target, "original", util::Overwrite::no));
    auto refused = util::write_file_atomic(target, "new", util::Overwrite::no);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::io);
    CHECK(refused.error().message.find("already exists") != std::string::npos);
    CHECK(util::read_file(target).value() == "original");
    REQUIRE(util::write_file_atomic(target, "new", util::Overwrite::yes));
    CHECK(util::read_file(target).value() == "new");
    CHECK(files_in(t.dir()) == 1);
  }

  SUBCASE("a file that appears between create and commit is not replaced")
  {
    auto file = util::AtomicFile::create(target, util::Overwrite::no);
    REQUIRE(file);
    REQUIRE(file->write("late"));
    REQUIRE(util::write_file_atomic(target, "first", util::Overwrite::no));
    REQUIRE_FALSE(file->commit());
    CHECK(util::read_file(target).value() == "first");
  }

  SUBCASE("a missing folder is an io error")
  {
    auto file = util::AtomicFile::create(t.path("no/such/dir/x"), util::Overwrite::no);
    REQUIRE_FALSE(file);
    CHECK(file.error().code == Errc::io);
  }
}
