// libFuzzer target: the input is a Mustache template (--template-dir), rendered with the data the
// document commands give templates (the example profile and results), under each escaping.
#include "fuzz_support.hpp"

#include "render/documents.hpp"
#include "render/template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  using namespace complycli;
  static const nlohmann::json document = [] {
    render::DocumentInputs in;
    in.profile = fuzz::need(render::load_profile(fuzz::source_file("examples/northwind-legal/profile.yaml")));
    in.results = fuzz::need(render::load_results(fuzz::source_file("examples/northwind-legal/results.json")));
    in.date = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::month{6}, std::chrono::day{1}};
    in.dirs.override_dir = fuzz::source_file("templates");
    return fuzz::need(render::document_data(in));
  }();
  const auto text = fuzz::text_of(data, size);
  for (auto escape : {render::Escape::html, render::Escape::none, render::Escape::csv}) {
    if (!render::render_text(text, "custom.md.mustache", document, escape)) {
      break;
    }
  }
  return 0;
}
