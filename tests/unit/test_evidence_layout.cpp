// What the servers load: the shared include follower (evidence/layout.hpp) and the server rules the
// real-world corpus found wrong (map variables with empty values, <IfModule>, PostgreSQL fragments,
// pg_hba include loops).

#include "evidence/evidence.hpp"
#include "evidence/layout.hpp"
#include "util/file.hpp"

#include "evidence_helpers.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace complycli;
namespace fs = std::filesystem;

using test::query_rows;
using test::write_config;

namespace {

evidence::Evidence load_at_test_date(const fs::path& dir)
{
  return test::collect_folder(dir, "2026-12-07");
}

} // namespace

TEST_CASE("evidence::layout follow_include reads what the include names, or says why it cannot")
{
  test::TestContext t;
  const auto dir = t.path("conf");
  write_config(dir / "main.conf", "x\n");
  write_config(dir / "conf.d/b.conf", "b\n");
  write_config(dir / "conf.d/a.conf", "a\n");
  write_config(dir / "conf.d/.hidden.conf", "h\n");
  write_config(dir / "conf.d/notes.txt", "n\n");
  auto db = evidence::Database::open();
  REQUIRE(db);
  evidence::LoadState state{*db, 1, 1, {}, "2026-12-07", {}, std::nullopt, {dir}, {}};
  std::set<std::string> included;
  std::vector<std::string> read;
  bool parses = true;
  auto reader = [&](const fs::path& file, int depth) -> Result<bool> {
    read.push_back(file.filename().string() + "@" + std::to_string(depth));
    return parses;
  };
  using Form = evidence::IncludeRequest::Form;
  const auto from = (dir / "main.conf").string();
  auto follow = [&](const std::string& spec, Form form, bool optional = false, int depth = 0) {
    read.clear();
    auto followed = evidence::follow_include(state, {from, 3, "postgres", spec, dir, form, optional, depth}, included, reader);
    REQUIRE(followed);
    return *followed;
  };

  SUBCASE("a folder: its *.conf files in name order, dot-files left out")
  {
    CHECK(follow("conf.d", Form::folder).unresolved.empty());
    CHECK(read == std::vector<std::string>{"a.conf@1", "b.conf@1"});
    CHECK(included.count((dir / "conf.d/a.conf").string()) == 1);
  }
  SUBCASE("a glob: sorted, no dot-files")
  {
    CHECK(follow("conf.d/*", Form::glob, false, 2).unresolved.empty());
    CHECK(read == std::vector<std::string>{"a.conf@3", "b.conf@3", "notes.txt@3"});
  }
  SUBCASE("a missing file is unresolved unless optional")
  {
    CHECK(follow("gone.conf", Form::file).unresolved ==
          "include \"gone.conf\" at " + from + ":3 could not be read: no file " + (dir / "gone.conf").string());
    CHECK(follow("gone.conf", Form::file, true).unresolved.empty());
    CHECK(read.empty());
    CHECK(query_rows(*db, "SELECT count(*) FROM unresolved_includes") == std::vector<std::string>{"1"});
  }
  SUBCASE("an absolute path outside the checked tree is never read from this machine")
  {
    CHECK(follow("/etc/passwd", Form::file).unresolved.find("not in the checked tree") != std::string::npos);
    CHECK(read.empty());
  }
  SUBCASE("a file that does not parse, and a nesting too deep")
  {
    parses = false;
    CHECK(follow("conf.d", Form::folder).unresolved.find("\"" + (dir / "conf.d/a.conf").string() + "\"") !=
          std::string::npos);
    CHECK(read == std::vector<std::string>{"a.conf@1"});
    const auto deep = follow("main.conf", Form::file, false, 10);
    CHECK(deep.too_deep);
    CHECK(deep.unresolved.find("nested too deeply") != std::string::npos);
    CHECK(read.empty());
  }
}

TEST_CASE("evidence::collect pg_hba includes nested too deeply: no rules, one error")
{
  test::TestContext t;
  const auto dir = t.path("data");
  // A file that includes itself: PostgreSQL refuses it ("maximum nesting depth exceeded"), so none of
  // its rules apply and the problem is reported once, not once per level.
  write_config(dir / "pg_hba.conf", "hostssl all all 0.0.0.0/0 scram-sha-256\ninclude pg_hba.conf\nhost all all ::/0 md5\n");
  const auto e = load_at_test_date(dir);
  CHECK(query_rows(e.db, "SELECT count(*) FROM pg_hba") == std::vector<std::string>{"0"});
  const auto errors = query_rows(e.db, "SELECT file, line, kind, message FROM evidence_errors");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind((dir / "pg_hba.conf").string() + "|2|pg_hba|include \"pg_hba.conf\" is nested more than 10", 0) == 0);
  CHECK(query_rows(e.db, "SELECT count(*) FROM unresolved_includes").front() == "0");
}

TEST_CASE("evidence::collect pg_hba includes within the limit keep their rules once")
{
  test::TestContext t;
  const auto dir = t.path("data");
  write_config(dir / "pg_hba.conf", "local all all peer\ninclude_dir conf.d\ninclude_if_exists missing.conf\n");
  write_config(dir / "conf.d/10-tls.conf", "hostssl all all 0.0.0.0/0 scram-sha-256\n");
  const auto e = load_at_test_date(dir);
  CHECK(query_rows(e.db, "SELECT type, line FROM pg_hba ORDER BY file, line") ==
        std::vector<std::string>{"hostssl|1", "local|1"});
  CHECK(query_rows(e.db, "SELECT count(*) FROM evidence_errors") == std::vector<std::string>{"0"});
}

TEST_CASE("evidence::collect nginx add_header with a map variable: empty values send no header")
{
  test::TestContext t;
  const auto dir = t.path("nginx");
  write_config(dir / "nginx.conf", "events {}\n"
                            "http {\n"
                            "  map $sent_http_content_type $x_frame_options {\n"
                            "    ~*text/html DENY;\n"
                            "  }\n"
                            "  map $sent_http_content_type $never { default \"\"; }\n"
                            "  map $host $mixed { default SAMEORIGIN; bad.example ALLOWALL; }\n"
                            "  server {\n"
                            "    listen 443 ssl;\n"
                            "    server_name a.example;\n"
                            "    add_header X-Frame-Options $x_frame_options always;\n"
                            "    add_header X-Never $never;\n"
                            "    add_header X-Mixed $mixed;\n"
                            "  }\n"
                            "}\n");
  const auto e = load_at_test_date(dir);
  // nginx adds no header whose value is empty: the map's unmatched (empty) value is a response without
  // X-Frame-Options, not one with an empty X-Frame-Options; every other value is judged.
  CHECK(query_rows(e.db, "SELECT name, value FROM http_headers ORDER BY name, value") ==
        std::vector<std::string>{"x-frame-options|DENY", "x-mixed|ALLOWALL", "x-mixed|SAMEORIGIN"});
}

TEST_CASE("evidence::collect Apache <IfModule> of a module that is not loaded is skipped")
{
  test::TestContext t;
  const auto dir = t.path("apache2");
  write_config(dir / "apache2.conf", "IncludeOptional mods-enabled/*.load\n"
                              "<IfModule !mod_ssl.c>\n"
                              "  Define NO_SSL\n"
                              "</IfModule>\n"
                              "<IfModule log_config_module>\n"
                              "  LogFormat x\n"
                              "</IfModule>\n"
                              "IncludeOptional sites-enabled/*.conf\n");
  write_config(dir / "mods-enabled/headers.load", "LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n");
  write_config(dir / "sites-enabled/tls.conf", "<IfModule mod_ssl.c>\n"
                                        "  <VirtualHost *:443>\n"
                                        "    SSLEngine on\n"
                                        "    SSLProtocol all\n"
                                        "  </VirtualHost>\n"
                                        "</IfModule>\n"
                                        "<IfModule mod_headers.c>\n"
                                        "  Header set X-A 1\n"
                                        "</IfModule>\n");
  SUBCASE("mod_ssl not loaded: its sections are not read; a built-in module's and a `!` section are")
  {
    const auto e = load_at_test_date(dir);
    CHECK(query_rows(e.db, "SELECT count(*) FROM tls_endpoints") == std::vector<std::string>{"0"});
    CHECK(query_rows(e.db, "SELECT name, conditions FROM apache_directives WHERE name IN ('Define', 'LogFormat', 'Header', "
                     "'SSLEngine') ORDER BY name") ==
          std::vector<std::string>{"Define|", "Header|", "LogFormat|"});
  }
  SUBCASE("mod_ssl loaded: the virtual host is live")
  {
    write_config(dir / "mods-enabled/ssl.load", "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n");
    const auto e = load_at_test_date(dir);
    CHECK(query_rows(e.db, "SELECT protocols FROM tls_endpoints") == std::vector<std::string>{"TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"});
    CHECK(query_rows(e.db, "SELECT count(*) FROM apache_directives WHERE name = 'Define'") == std::vector<std::string>{"0"});
  }
  SUBCASE("a fragment read alone, or a server that loads no module: <IfModule> is recorded, not judged")
  {
    fs::remove(dir / "mods-enabled/headers.load");
    const auto e = load_at_test_date(dir);
    CHECK(query_rows(e.db, "SELECT conditions FROM apache_directives WHERE name = 'SSLEngine'") ==
          std::vector<std::string>{"IfModule mod_ssl.c"});
  }
}

TEST_CASE("evidence::collect a PostgreSQL include fragment that only sets logging is read as one")
{
  test::TestContext t;
  const auto dir = t.path("postgresql-custom");
  write_config(dir / "platform-defaults.conf", "row_security = on\nwal_level = logical\nlog_connections = on\n");
  const auto e = load_at_test_date(dir);
  CHECK(query_rows(e.db, "SELECT name, value, is_default FROM postgres_settings ORDER BY name") ==
        std::vector<std::string>{"log_connections|on|0", "row_security|on|0", "wal_level|logical|0"});
}
