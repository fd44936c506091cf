// Small pure functions of the completion scripts and the OSCAL writer.

#include "checks/report_oscal.hpp"
#include "completion/completion.hpp"

#include <doctest/doctest.h>

#include <regex>

using namespace complycli;

TEST_CASE("completion::listed_values")
{
  using V = std::vector<std::string>;
  CHECK(completion::listed_values("table, json, sarif, junit, markdown, html or oscal") ==
        V{"table", "json", "sarif", "junit", "markdown", "html", "oscal"});
  CHECK(completion::listed_values("table or json") == V{"table", "json"});
  CHECK(completion::listed_values("md (default), html, csv or json") == V{"md", "html", "csv", "json"});
  CHECK(completion::listed_values("Lowest severity whose failures make exit 1: low, medium, high, critical") ==
        V{"low", "medium", "high", "critical"});
  CHECK(completion::listed_values("Only checks mapped to this framework (soc2, iso27001_2022, gdpr, hipaa)") ==
        V{"soc2", "iso27001_2022", "gdpr", "hipaa"});
  CHECK(completion::listed_values("Write the report to FILE (atomically) instead of stdout").empty());
  CHECK(completion::listed_values("The matter").empty());
}

TEST_CASE("completion::script")
{
  completion::Command root{"complycli", "", {{{"--home"}, "Workspace folder", completion::Value::file, {}}}, completion::Value::none, {}};
  root.subcommands.push_back({"check", "Check", {{{"--format"}, "table or json", completion::Value::word_list, {"table", "json"}}},
                              completion::Value::file, {}});
  auto bash = completion::script(root, "bash");
  REQUIRE(bash);
  CHECK(bash->find("_complycli_k='complycli check|--format'; _complycli_kind[$_complycli_k]=words\n_complycli_values[$_complycli_k]='table json") != std::string::npos);
  CHECK(bash->find("complete -F _complycli complycli") != std::string::npos);
  auto fish = completion::script(root, "fish");
  REQUIRE(fish);
  CHECK(fish->find("complete -c complycli -n '__fish_seen_subcommand_from check' -l format -x -a 'table json'") !=
        std::string::npos);
  auto bad = completion::script(root, "tcsh");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::usage);
}

TEST_CASE("checks::oscal ids")
{
  CHECK(checks::oscal_control_id("soc2", "CC6.7") == "soc2-cc6.7");
  CHECK(checks::oscal_control_id("hipaa", "164.312(a)(2)(iv)") == "hipaa-164.312.a.2.iv");
  CHECK(checks::oscal_control_id("iso27001_2022", "A.8.24") == "iso27001_2022-a.8.24");
  CHECK(checks::oscal_control_id("gdpr", "Art.32") == "gdpr-art.32");
  const std::regex token(R"(^[A-Za-z_][A-Za-z0-9._-]*$)");
  CHECK(std::regex_match(checks::oscal_control_id("hipaa", "164.308(b)(1)"), token));
  const std::regex uuid(R"(^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$)");
  for (const char* seed : {"a", "b", "c", "d", "e", "f", "g"}) {
    CHECK(std::regex_match(checks::oscal_uuid(seed), uuid));
  }
  CHECK(checks::oscal_uuid("a") == checks::oscal_uuid("a"));
  CHECK(checks::oscal_uuid("a") != checks::oscal_uuid("b"));
}
