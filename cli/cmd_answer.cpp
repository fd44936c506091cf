// complycli answer: fill a security questionnaire (CSV) from the profile and the check results,
// through a mapping file; what the mapping does not cover is "Needs review", never guessed.

#include "answer_sheet.hpp"
#include "commands.hpp"
#include "document_common.hpp"

#include "util/file.hpp"

#include <memory>

namespace complycli::cli {

namespace {

struct AnswerOptions {
  std::string questionnaire;
  std::string mapping = "questionnaires/caiq-lite.yaml";
  AnswerSheetOptions sheet; // a customer's own sheet, matched by text (answer_sheet.cpp)
};

Result<void> run_answer(const DocumentOptions& options, const AnswerOptions& answer_options, const Context& ctx)
{
  if (TRY(answers_by_text(answer_options.questionnaire, answer_options.sheet))) {
    return run_answer_sheet(options, answer_options.questionnaire, answer_options.sheet, ctx);
  }
  using render::DocFormat;
  const auto format = TRY(render::parse_doc_format(options.format.empty() ? "csv" : options.format,
                                                   {DocFormat::csv, DocFormat::md, DocFormat::json}));
  auto inputs = TRY(load_document_inputs(options, ctx));
  const auto questionnaire = TRY(util::read_file(answer_options.questionnaire));
  std::error_code ec;
  const std::filesystem::path mapping = std::filesystem::is_regular_file(answer_options.mapping, ec)
                                            ? std::filesystem::path(answer_options.mapping)
                                            : TRY(inputs.dirs.find(answer_options.mapping));
  auto answers = TRY(render::render_answers(inputs, questionnaire, answer_options.questionnaire, mapping, format));
  record_document_run(ctx, "answer", options.output, inputs);
  if (inputs.audit_sequence) {
    answers = TRY(render::render_answers(inputs, questionnaire, answer_options.questionnaire, mapping, format));
  }
  TRY_VOID(write_recorded_document(ctx, "answer", options.output, answers.text, options));
  std::string counts;
  for (const auto& [answer, count] : answers.counts) {
    counts += fmt::format("{}{}: {}", counts.empty() ? "" : ", ", answer, count);
  }
  ctx.info(fmt::format("Answered {}", counts));
  return {};
}

} // namespace

void register_answer(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<DocumentOptions>();
  auto answer_options = std::make_shared<AnswerOptions>();
  auto* sub = app.add_subcommand("answer", "Fill a security questionnaire (CSV or XLSX) from the profile and check results");
  sub->add_option("--questionnaire", answer_options->questionnaire,
                  "The customer's sheet (CSV or XLSX, any columns), or a CSV with columns id, question for --mapping")
      ->required()
      ->type_name("FILE");
  auto* mapping = sub->add_option("--mapping", answer_options->mapping,
                                  "Match questions by id through this mapping file, or a name under the templates "
                                  "folder (default questionnaires/caiq-lite.yaml)")
                      ->type_name("FILE");
  add_answer_sheet_options(sub, answer_options->sheet);
  add_document_options(sub, *options, WithResults::required);
  sub->add_option("--format", options->format, "By text: csv, xlsx or json (default: as -o or the input). By id: csv, md or json")
      ->type_name("FORMAT");
  sub->add_option("-o,--output", options->output, "Where to write, - for stdout (default)")->type_name("FILE");
  sub->footer("Examples:\n  complycli answer --questionnaire customer.xlsx --results results.json -o answered.xlsx\n"
              "  complycli answer --questionnaire fragebogen.csv --question-column Frage --results results.json --review\n"
              "  complycli answer --questionnaire examples/northwind-legal/questionnaire.csv \\\n"
              "    --results results.json -o answers.csv");
  sub->callback([options, answer_options, mapping, &ctx] {
    answer_options->sheet.mapping_given = mapping->count() > 0;
    ctx.outcome = run_answer(*options, *answer_options, ctx);
  });
}

} // namespace complycli::cli
