#include "util/atomic_file.hpp"
#include "util/file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

  SUBCASE("a writer killed with SIGKILL before commit leaves no file behind")
  {
    // Overwrite::yes and ::no, with an existing target: the target keeps its content and nothing else
    // appears in the folder (an unnamed O_TMPFILE file dies with the process).
    REQUIRE(util::write_file_atomic(target, "original", util::Overwrite::no));
    for (const auto overwrite : {util::Overwrite::no, util::Overwrite::yes}) {
      int ready[2];
      REQUIRE(::pipe(ready) == 0);
      const pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        ::close(ready[0]);
        auto file = util::AtomicFile::create(t.path(overwrite == util::Overwrite::no ? "new.txt" : "out.txt"),
                                             overwrite);
        if (!file || !file->write(std::string(1 << 20, 'x'))) {
          ::_exit(1);
        }
        [[maybe_unused]] const auto n = ::write(ready[1], "w", 1);
        ::pause(); // killed here, mid-write as far as the file is concerned
        ::_exit(0);
      }
      ::close(ready[1]);
      char byte = 0;
      REQUIRE(::read(ready[0], &byte, 1) == 1);
      ::close(ready[0]);
      ::kill(child, SIGKILL);
      int status = 0;
      REQUIRE(::waitpid(child, &status, 0) == child);
      CHECK(WIFSIGNALED(status));
      CHECK(files_in(t.dir()) == 1);
      CHECK(util::read_file(target).value() == "original");
    }
  }

  SUBCASE("Overwrite::yes replaces the target and leaves one file")
  {
    REQUIRE(util::write_file_atomic(target, "original", util::Overwrite::no));
    auto file = util::AtomicFile::create(target, util::Overwrite::yes, 0640);
    REQUIRE(file);
    REQUIRE(file->write("replaced"));
    CHECK(util::read_file(file->temporary_path()).value() == "replaced");
    CHECK(util::read_file(target).value() == "original");
    REQUIRE(file->commit());
    CHECK(util::read_file(target).value() == "replaced");
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    CHECK(files_in(t.dir()) == 1);
  }
}
