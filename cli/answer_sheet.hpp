#pragma once

// `answer` on a customer's own sheet (CSV or XLSX, any columns, any header language): the questions
// are matched by their text to the question bank (lib/questionnaire), not by ids; `--review` lists
// what needs a person, `--accept` records a reviewer's answers in the audit log for the next run.

#include "context.hpp"
#include "document_common.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace complycli::cli {

struct AnswerSheetOptions {
  std::string question_column; // --question-column NAME|NUMBER
  std::string match = "auto";  // --match auto|text|id
  std::string bank = "questionnaires/bank.yaml";
  std::string accept;          // --accept FILE
  bool review = false;         // --review
  bool mapping_given = false;  // --mapping was given (then questions are matched by id)
};

// Add --question-column, --match, --bank, --review and --accept to `answer`.
void add_answer_sheet_options(CLI::App* sub, AnswerSheetOptions& options);

// Whether `questionnaire` is answered by its text (true) or by the mapping's ids (false): by id when
// --match id or --mapping is given, or (--match auto) when it is a CSV whose header has columns `id`
// and `question` and no text-mode option was given.
Result<bool> answers_by_text(const std::string& questionnaire, const AnswerSheetOptions& options);

// Answer the sheet by text (or record a review with --accept).
Result<void> run_answer_sheet(const DocumentOptions& options, const std::string& questionnaire,
                              const AnswerSheetOptions& sheet_options, const Context& ctx);

} // namespace complycli::cli
