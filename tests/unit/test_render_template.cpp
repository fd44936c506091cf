#include "render/template.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace complycli;
using nlohmann::json;

TEST_CASE("render::render_text")
{
  const json data = {{"org", {{"name", "A & B <Ltd> \"x\""}, {"notice", 30}}},
                     {"subs", json::array({{{"name", "AWS"}, {"purpose", "hosting, storage"}},
                                           {{"name", "Okta"}}})},
                     {"flag", true},
                     {"none", false}};

  SUBCASE("html escapes, markdown does not, csv quotes fields that need it")
  {
    auto html = render::render_text("{{org.name}}|{{{org.name}}}", "t.html", data, render::Escape::html);
    REQUIRE(html);
    CHECK(*html == "A &amp; B &lt;Ltd&gt; &quot;x&quot;|A & B <Ltd> \"x\"");
    auto md = render::render_text("{{org.name}}", "t.md", data, render::Escape::none);
    REQUIRE(md);
    CHECK(*md == "A & B <Ltd> \"x\"");
    auto csv = render::render_text("{{org.name}},{{org.notice}},{{#subs}}{{#purpose}}{{.}}{{/purpose}}{{/subs}}", "t.csv", data, render::Escape::csv);
    REQUIRE(csv);
    CHECK(*csv == "\"A & B <Ltd> \"\"x\"\"\",30,\"hosting, storage\"");
  }

  SUBCASE("a missing variable names the field, with its section path, and the template line")
  {
    auto r = render::render_text("line 1\n{{#subs}}\n{{name}}: {{purpose}}\n{{/subs}}\n", "reg.md.mustache", data,
                                 render::Escape::none);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::config);
    CHECK(r.error().message == "reg.md.mustache:3: the template needs \"subs[1].purpose\", which the data does not have");

    auto top = render::render_text("a\nb {{org.legal_name}}\n", "x.mustache", data, render::Escape::none);
    REQUIRE_FALSE(top);
    CHECK(top.error().message == "x.mustache:2: the template needs \"org.legal_name\", which the data does not have");
  }

  SUBCASE("sections over missing or false data are not errors")
  {
    auto r = render::render_text("{{#missing}}x{{/missing}}{{^missing}}y{{/missing}}{{#none}}z{{/none}}{{#flag}}f{{/flag}}",
                                 "t", data, render::Escape::none);
    REQUIRE(r);
    CHECK(*r == "yf");
  }

  SUBCASE("standalone section lines vanish whether or not the section renders")
  {
    auto r = render::render_text("a\n{{#flag}}\nb\n{{/flag}}\n{{#none}}\nc\n{{/none}}\n  {{! comment }}\nd\n", "t", data,
                                 render::Escape::none);
    REQUIRE(r);
    CHECK(*r == "a\nb\nd\n");
    auto list = render::render_text("{{#subs}}\n- {{name}}\n{{/subs}}\nend\n", "t", data, render::Escape::none);
    REQUIRE(list);
    CHECK(*list == "- AWS\n- Okta\nend\n");
  }

  SUBCASE("syntax errors name the template line and column")
  {
    auto unclosed = render::render_text("ok\n\n  {{#subs}}\n{{name}}\n", "bad.mustache", data, render::Escape::none);
    REQUIRE_FALSE(unclosed);
    CHECK(unclosed.error().code == Errc::config);
    CHECK(unclosed.error().message == "bad.mustache:3:3: unclosed section \"subs\"");
    auto tag = render::render_text("x\ny {{name\n", "bad.mustache", data, render::Escape::none);
    REQUIRE_FALSE(tag);
    CHECK(tag.error().message == "bad.mustache:2:3: unclosed tag");
    auto unopened = render::render_text("{{/subs}}", "bad.mustache", data, render::Escape::none);
    REQUIRE_FALSE(unopened);
    CHECK(unopened.error().message == "bad.mustache:1:1: unopened section \"subs\"");
  }
}

TEST_CASE("render::TemplateDirs")
{
  test::TestContext t;
  std::ofstream(t.path("claims.yaml")) << "claims: []\n";
  render::TemplateDirs dirs{t.dir()};
  auto overridden = dirs.find("claims.yaml");
  REQUIRE(overridden);
  CHECK(*overridden == t.path("claims.yaml"));
  auto builtin = dirs.find("dpa.md.mustache");
  REQUIRE(builtin);
  CHECK(builtin->filename() == "dpa.md.mustache");
  auto missing = dirs.find("nope.mustache");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::config);
}
