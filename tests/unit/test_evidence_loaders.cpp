// Evidence loaders: what each kind of file becomes in the evidence tables, with file and line.

#include "evidence/evidence.hpp"
#include "util/file.hpp"

#include "evidence_helpers.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace complycli;
namespace fs = std::filesystem;

using test::query_rows;
using test::write_config;

namespace {

evidence::Evidence load_at_test_date(const fs::path& dir)
{
  return test::collect_folder(dir, "2026-11-25");
}

} // namespace

TEST_CASE("evidence::collect nginx")
{
  test::TestContext t;
  const auto dir = t.path("etc/nginx");
  write_config(dir / "nginx.conf", "events {}\n"
                            "http {\n"
                            "    ssl_protocols TLSv1.2;\n"
                            "    add_header X-Frame-Options DENY;\n"
                            "    include sites/*.conf;\n"
                            "}\n");
  write_config(dir / "sites/a.conf", "server {\n"
                              "    listen 443 ssl;\n"
                              "    server_name a.example;\n"
                              "}\n");
  write_config(dir / "sites/b.conf", "server {\n"
                              "    listen 443 ssl;\n"
                              "    server_name b.example;\n"
                              "    ssl_protocols 'TLSv1.1' TLSv1.2;  # a comment\n"
                              "    add_header Referrer-Policy no-referrer;\n"
                              "    location /x { add_header X-Inner 1; }\n"
                              "}\n");
  const auto e = load_at_test_date(dir);
  SUBCASE("includes are followed with globs relative to the including file, and not loaded twice")
  {
    CHECK(query_rows(e.db, "SELECT server_name, ssl, file, line FROM nginx_servers ORDER BY server_name") ==
          std::vector<std::string>{"a.example|1|" + (dir / "sites/a.conf").string() + "|1",
                                   "b.example|1|" + (dir / "sites/b.conf").string() + "|1"});
  }
  SUBCASE("servers inherit http directives they do not set themselves")
  {
    CHECK(query_rows(e.db, "SELECT resource, protocols, line FROM tls_endpoints ORDER BY resource") ==
          std::vector<std::string>{"server a.example|TLSv1.2|3", "server b.example|TLSv1.1 TLSv1.2|4"});
    // add_header in a server replaces every inherited add_header (nginx semantics).
    CHECK(query_rows(e.db, "SELECT e.resource, h.name, h.value, h.line FROM http_headers h JOIN http_endpoints e USING (endpoint_id) "
                  "ORDER BY e.resource, h.name") ==
          std::vector<std::string>{"server a.example|x-frame-options|DENY|4", "server b.example|referrer-policy|no-referrer|5"});
  }
  SUBCASE("directives carry their block path")
  {
    CHECK(query_rows(e.db, "SELECT context, name FROM nginx_directives WHERE name = 'add_header' AND block = 'location /x'").empty());
    CHECK(query_rows(e.db, "SELECT context FROM nginx_directives WHERE name = 'add_header' AND args LIKE '%X-Inner%'") ==
          std::vector<std::string>{"main > http > server > location /x"});
  }
}

TEST_CASE("evidence::collect a file that does not parse becomes an error row")
{
  test::TestContext t;
  write_config(t.path("nginx.conf"), "http {\n  server {\n    listen 443\n");
  write_config(t.path("broken.json"), "{\"a\": [1, 2\n");
  write_config(t.path("sshd_config"), "PermitRootLogin\n");
  const auto e = load_at_test_date(t.dir());
  CHECK(query_rows(e.db, "SELECT kind, line, message FROM evidence_errors ORDER BY kind") ==
        std::vector<std::string>{"document|2|end of sequence flow not found", "nginx|3|unexpected end of file, expecting \";\" or \"}\" after \"listen\"",
                                 "sshd|1|PermitRootLogin: missing argument"});
}

TEST_CASE("evidence::collect nginx include of a missing file is unresolved, not read from the host; an empty glob is fine")
{
  test::TestContext t;
  const auto dir = t.path("nginx");
  write_config(dir / "nginx.conf", "http {\n"
                            "  include conf.d/*.conf;\n"
                            "  include missing.conf;\n"
                            "  include sites/site.conf;\n"
                            "}\n");
  write_config(dir / "sites/site.conf", "server {\n  include /nonexistent/complycli/snippet.conf;\n  server_name a.example;\n}\n");
  const auto e = load_at_test_date(dir);
  CHECK(query_rows(e.db, "SELECT file, line, kind, include, reason FROM unresolved_includes ORDER BY file, line") ==
        std::vector<std::string>{
            (dir / "nginx.conf").string() + "|3|nginx|missing.conf|no file " + (dir / "missing.conf").string(),
            (dir / "sites/site.conf").string() +
                "|2|nginx|/nonexistent/complycli/snippet.conf|not in the checked tree (check a copy of the server's "
                "files with --root DIR)"});
  CHECK(query_rows(e.db, "SELECT count(*) FROM evidence_errors") == std::vector<std::string>{"0"});
  CHECK(query_rows(e.db, "SELECT server_name FROM nginx_servers") == std::vector<std::string>{"a.example"});
}

TEST_CASE("evidence::collect sshd_config")
{
  test::TestContext t;
  write_config(t.path("ssh/sshd_config"), "# comment\n"
                                   "PasswordAuthentication no\n"
                                   "passwordauthentication yes\n"
                                   "MaxAuthTries=3\n"
                                   "Match User bob Address 10.0.0.0/8\n"
                                   "  PasswordAuthentication yes\n");
  const auto e = load_at_test_date(t.path("ssh"));
  const auto file = t.path("ssh/sshd_config").string();
  SUBCASE("the first value wins; Match blocks keep their criteria")
  {
    CHECK(query_rows(e.db, "SELECT match, value, line FROM sshd_options WHERE name = 'passwordauthentication' ORDER BY line") ==
          std::vector<std::string>{"|no|2", "User bob Address 10.0.0.0/8|yes|6"});
    CHECK(query_rows(e.db, "SELECT value FROM sshd_options WHERE name = 'maxauthtries'") == std::vector<std::string>{"3"});
  }
  SUBCASE("options not set get OpenSSH's defaults, without a line")
  {
    CHECK(query_rows(e.db, "SELECT value, is_default, line IS NULL, file FROM sshd_options WHERE name = 'permitrootlogin'") ==
          std::vector<std::string>{"prohibit-password|1|1|" + file});
  }
}

TEST_CASE("evidence::collect PostgreSQL, headers and Terraform")
{
  test::TestContext t;
  write_config(t.path("postgresql.conf"), "ssl = off\nssl = on # later wins\nlisten_addresses = '*'\n");
  write_config(t.path("pg_hba.conf"), "local all all peer\nhost all all 10.0.0.0 255.0.0.0 md5\n");
  write_config(t.path("site.txt"), "HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\nHTTP/2 200\r\nX-Frame-Options: DENY\r\n\r\n<html>");
  write_config(t.path("plan.json"), R"({
  "format_version": "1.2",
  "planned_values": {
    "root_module": {
      "child_modules": [
        {
          "address": "module.db",
          "resources": [
            {
              "address": "module.db.aws_db_instance.main",
              "mode": "managed",
              "type": "aws_db_instance",
              "name": "main",
              "values": {"storage_encrypted": true}
            }
          ]
        }
      ]
    }
  }
}
)");
  const auto e = load_at_test_date(t.dir());
  CHECK(query_rows(e.db, "SELECT value, line, is_default FROM postgres_settings WHERE name = 'ssl'") == std::vector<std::string>{"on|2|0"});
  CHECK(query_rows(e.db, "SELECT value, is_default FROM postgres_settings WHERE name = 'password_encryption'") ==
        std::vector<std::string>{"scram-sha-256|1"});
  CHECK(query_rows(e.db, "SELECT type, address, method, line FROM pg_hba ORDER BY line") ==
        std::vector<std::string>{"local||peer|1", "host|10.0.0.0 255.0.0.0|md5|2"});
  CHECK(query_rows(e.db, "SELECT e.status, h.name, h.value, h.line FROM http_headers h JOIN http_endpoints e USING (endpoint_id)") ==
        std::vector<std::string>{"200|x-frame-options|DENY|5"});
  CHECK(query_rows(e.db, "SELECT address, module, json_extract(attrs, '$.storage_encrypted'), line FROM terraform_resources") ==
        std::vector<std::string>{"module.db.aws_db_instance.main|module.db|1|10"});
}

TEST_CASE("evidence::collect the company profile")
{
  const auto e = load_at_test_date(fs::path(COMPLYCLI_SOURCE_DIR) / "examples/northwind-legal/profile.yaml");
  CHECK(query_rows(e.db, "SELECT legal_name FROM profiles") == std::vector<std::string>{"Northwind Legal AI, Inc."});
  CHECK(query_rows(e.db, "SELECT value, line FROM profile WHERE path = 'controls.mfa.enforced'") == std::vector<std::string>{"true|95"});
  CHECK(query_rows(e.db, "SELECT group_concat(region) FROM profile_regions") == std::vector<std::string>{"us,eu"});
  CHECK(query_rows(e.db, "SELECT personal_data, dpa_signed IS NULL FROM profile_subprocessors WHERE name = 'Intercom'") ==
        std::vector<std::string>{"1|1"});
  CHECK(query_rows(e.db, "SELECT name, expires FROM profile_certifications WHERE subprocessor = 'Cohere'") ==
        std::vector<std::string>{"SOC 2 Type II|2026-08-31"});
  CHECK(query_rows(e.db, "SELECT security_training, line FROM profile_people WHERE name = 'Jonah Brooks'") ==
        std::vector<std::string>{"2025-09-10|8"});
  CHECK(query_rows(e.db, "SELECT zero_data_retention FROM profile_ai_providers WHERE name = 'Cohere'") == std::vector<std::string>{"0"});
}

TEST_CASE("evidence::collect a missing path is a usage error")
{
  evidence::Sources sources;
  sources.paths = {"/no/such/path"};
  sources.today = "2026-11-25";
  auto e = evidence::collect(sources);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == Errc::usage);
}

TEST_CASE("evidence::collect Apache httpd")
{
  test::TestContext t;
  const auto dir = t.path("apache2");
  write_config(dir / "apache2.conf", "ServerRoot /etc/apache2\n"
                              "SSLProtocol all -SSLv3\n"
                              "Header always set X-Content-Type-Options nosniff\n"
                              "IncludeOptional sites-enabled/*.conf\n");
  write_config(dir / "sites-enabled/app.conf", "<VirtualHost *:443>\n"
                                        "    ServerName app.example\n"
                                        "    SSLEngine on\n"
                                        "    SSLProtocol -all +TLSv1.2 \\\n"
                                        "        +TLSv1.3\n"
                                        "    SSLCipherSuite HIGH:!aNULL\n"
                                        "    Header always set Strict-Transport-Security \"max-age=31536000\"\n"
                                        "    <Location /x>\n"
                                        "      Require all granted\n"
                                        "    </Location>\n"
                                        "</VirtualHost>\n"
                                        "<VirtualHost *:443>\n"
                                        "    ServerName old.example\n"
                                        "    SSLEngine on\n"
                                        "    SSLCipherSuite RC4-SHA:HIGH\n"
                                        "</VirtualHost>\n"
                                        "<VirtualHost *:80>\n"
                                        "    ServerName app.example\n"
                                        "</VirtualHost>\n");
  const auto e = load_at_test_date(dir);
  const auto app = (dir / "sites-enabled/app.conf").string();
  const auto main = (dir / "apache2.conf").string();
  CHECK(query_rows(e.db, "SELECT resource, protocols, weak_ciphers, file, line FROM tls_endpoints ORDER BY resource") ==
        std::vector<std::string>{"vhost app.example *:443|TLSv1.2 TLSv1.3||" + app + "|4",
                                 "vhost old.example *:443|TLSv1 TLSv1.1 TLSv1.2 TLSv1.3|RC4-SHA|" + main + "|2"});
  CHECK(query_rows(e.db, "SELECT e.resource, h.name, h.line FROM http_headers h JOIN http_endpoints e USING (endpoint_id) "
                "ORDER BY e.resource, h.name") ==
        std::vector<std::string>{"vhost app.example *:443|strict-transport-security|7",
                                 "vhost app.example *:443|x-content-type-options|3",
                                 "vhost old.example *:443|x-content-type-options|3"});
  CHECK(query_rows(e.db, "SELECT count(*) FROM inputs WHERE kind = 'apache'") == std::vector<std::string>{"2"});

  write_config(dir / "sites-enabled/app.conf", "<VirtualHost *:443>\n  SSLEngine on\n");
  const auto broken = load_at_test_date(dir);
  CHECK(query_rows(broken.db, "SELECT kind, file, line, message FROM evidence_errors") ==
        std::vector<std::string>{"apache|" + app + "|1|<VirtualHost> is not closed"});
}

TEST_CASE("evidence::collect never fails or crashes on damaged configs")
{
  test::TestContext t;
  const fs::path configs = fs::path(COMPLYCLI_SOURCE_DIR) / "examples/northwind-legal/configs";
  const std::pair<fs::path, std::string> files[] = {
      {configs / "nginx/nginx.conf", "nginx.conf"},      {configs / "nginx/conf.d/legacy.conf", "nginx.conf"},
      {configs / "ssh/sshd_config", "sshd_config"},      {configs / "postgres/postgresql.conf", "postgresql.conf"},
      {configs / "postgres/pg_hba.conf", "pg_hba.conf"}, {configs / "headers/status-page.headers", "x.headers"},
      {configs / "terraform/plan.json", "plan.json"},
  };
  for (const auto& [source, name] : files) {
    const auto text = util::read_file(source).value();
    const std::size_t step = text.size() > 2000 ? 97 : 2;
    for (std::size_t length = 0; length < text.size(); length += step) {
      CAPTURE(source.string());
      CAPTURE(length);
      std::string damaged = text.substr(0, length);
      if (length % 3 == 0 && length > 0) {
        damaged[length / 2] = "{};\"'\n#"[length % 7];
      }
      {
        std::ofstream out(t.path(name), std::ios::binary | std::ios::trunc); // no fsync: thousands of files
        out << damaged;
      }
      evidence::Sources sources;
      sources.paths = {t.path(name)};
      sources.today = "2026-11-25";
      auto e = evidence::collect(sources);
      REQUIRE(e);
    }
    fs::remove(t.path(name));
  }
}

// Found by the fuzz targets nginx and apache (tests/fuzz/regressions/): a Latin-1 byte in a directive
// reached nlohmann_json, which threw (exit 4). Every loader now reports a file that is not UTF-8.
TEST_CASE("evidence::collect a file that is not UTF-8 becomes an error row at its line")
{
  test::TestContext t;
  write_config(t.path("nginx/nginx.conf"), "http {\n  server {\n    server_name caf\xE9.example;\n  }\n}\n");
  write_config(t.path("apache/httpd.conf"), "ServerRoot \"/etc/httpd\"\nServerName caf\xE9\n");
  write_config(t.path("ssh/sshd_config"), "PermitRootLogin no\nBanner /etc/\xFF\n");
  write_config(t.path("pg/postgresql.conf"), "ssl = on\ncluster_name = 'caf\xC3'\n");
  write_config(t.path("pg/pg_hba.conf"), "hostssl all all 0.0.0.0/0 scram-sha-256 # \xED\xA0\x80\n");
  write_config(t.path("app.headers"), "HTTP/1.1 200 OK\nServer: caf\xE9\n\n");
  write_config(t.path("doc.yaml"), "a: 1\nb: \"\xC0\xAF\"\n");
  const auto e = load_at_test_date(t.dir());
  CHECK(query_rows(e.db, "SELECT kind, line, substr(message, 1, instr(message, ' (') - 1) FROM evidence_errors ORDER BY kind") ==
        std::vector<std::string>{"apache|2|byte 0xE9 is not UTF-8", "document|2|byte 0xC0 is not UTF-8",
                                 "headers|2|byte 0xE9 is not UTF-8", "nginx|3|byte 0xE9 is not UTF-8",
                                 "pg_hba|1|byte 0xED is not UTF-8", "postgres|2|byte 0xC3 is not UTF-8",
                                 "sshd|2|byte 0xFF is not UTF-8"});
  CHECK(query_rows(e.db, "SELECT count(*) FROM nginx_directives") == std::vector<std::string>{"0"});
}
