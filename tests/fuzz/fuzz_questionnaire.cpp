// libFuzzer target: the input is a questionnaire CSV, parsed and answered the way `complycli answer`
// does (the example profile and results, the shipped CAIQ-lite mapping), as JSON or CSV.
#include "fuzz_support.hpp"

#include "render/csv.hpp"
#include "render/documents.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  using namespace complycli;
  static const render::DocumentInputs inputs = [] {
    render::DocumentInputs in;
    in.profile = fuzz::need(render::load_profile(fuzz::source_file("examples/northwind-legal/profile.yaml")));
    in.results = fuzz::need(render::load_results(fuzz::source_file("examples/northwind-legal/results.json")));
    in.date = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::month{6}, std::chrono::day{1}};
    in.dirs.override_dir = fuzz::source_file("templates");
    return in;
  }();
  static const auto mapping = fuzz::source_file("templates/questionnaires/caiq-lite.yaml");
  const auto text = fuzz::text_of(data, size);
  if (!render::parse_csv(text, "questionnaire.csv")) {
    return 0; // render_answers fails on it the same way, only slower
  }
  // Answering costs ~0.1 s under the sanitizers: one format per input, chosen by its length.
  const auto format = size % 2 == 0 ? render::DocFormat::json : render::DocFormat::csv;
  (void)render::render_answers(inputs, text, "questionnaire.csv", mapping, format);
  return 0;
}
