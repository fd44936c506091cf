#include "core/workspace.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

using namespace complycli;
namespace fs = std::filesystem;

TEST_CASE("core::workspace")
{
  test::TestContext t;
  const auto project = t.path("project");
  fs::create_directories(project / "a" / "b");

  SUBCASE("init creates a private folder and refuses to run twice")
  {
    auto ws = core::init_workspace(std::nullopt, project, core::Settings{});
    REQUIRE(ws);
    CHECK(ws->dir == project / ".complycli");
    struct stat st {};
    REQUIRE(::stat(ws->dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    auto again = core::init_workspace(std::nullopt, project, core::Settings{});
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::io);
  }

  SUBCASE("find walks up from a subfolder")
  {
    REQUIRE(core::init_workspace(std::nullopt, project, core::Settings{}));
    auto found = core::find_workspace(std::nullopt, project / "a" / "b");
    REQUIRE(found);
    CHECK(found->dir == project / ".complycli");
  }

  SUBCASE("find fails with a hint when there is none")
  {
    auto found = core::find_workspace(std::nullopt, project / "a");
    REQUIRE_FALSE(found);
    CHECK(found.error().code == Errc::io);
    CHECK_FALSE(found.error().hint.empty());
  }

  SUBCASE("--home may name the workspace or the folder that holds it")
  {
    REQUIRE(core::init_workspace(t.path("elsewhere"), project, core::Settings{}));
    auto direct = core::find_workspace(t.path("elsewhere"), project);
    REQUIRE(direct);
    CHECK(direct->dir == t.path("elsewhere"));
    REQUIRE(core::init_workspace(std::nullopt, project, core::Settings{}));
    auto parent = core::find_workspace(project, t.dir());
    REQUIRE(parent);
    CHECK(parent->dir == project / ".complycli");
  }

  SUBCASE("settings round-trip and a newer schema is refused")
  {
    core::Settings settings;
    settings.profile = "/tmp/profile.yaml";
    auto ws = core::init_workspace(std::nullopt, project, settings);
    REQUIRE(ws);
    auto loaded = core::load_settings(*ws);
    REQUIRE(loaded);
    CHECK(loaded->profile == fs::path("/tmp/profile.yaml"));
    CHECK_FALSE(loaded->created.empty());
    loaded->schema_version = 2;
    REQUIRE(core::save_settings(*ws, *loaded));
    CHECK_FALSE(core::load_settings(*ws));
  }
}
