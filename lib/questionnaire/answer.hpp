#pragma once

// Answering a customer's sheet: find the question column (any header, any language, or a number),
// split each question into its parts, match every part to an answer key of the bank, judge the key on
// the profile and check results, and write Answer, Comment, Evidence and Confidence beside the
// customer's own columns. "Yes" only when every fact the key needs holds; below the bank's confidence
// threshold, or when profile and checks disagree, the answer is "Needs review".

#include "core/error.hpp"
#include "questionnaire/bank.hpp"
#include "questionnaire/matcher.hpp"
#include "questionnaire/sheet.hpp"
#include "render/documents.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::questionnaire {

enum class Verdict { yes, partial, no, not_applicable, needs_review };

const char* label(Verdict verdict);
// "yes", "Yes", "n/a"... -> a verdict; nullopt for anything else.
std::optional<Verdict> parse_verdict(std::string_view text);

struct KeyResult {
  Verdict verdict = Verdict::needs_review;
  std::string comment;
  std::vector<std::string> evidence; // "check tls-strong-ciphers: fail (2026-11-25)", "profile controls.mfa.enforced: true"
};

// Judge one (simple) answer key on the inputs. `data` is render::document_data(inputs).
Result<KeyResult> evaluate_key(const AnswerKey& key, const render::DocumentInputs& inputs, const nlohmann::json& data);

// A reviewer's approved answer for a question, from the audit log.
struct Approval {
  std::string answer;
  std::string comment;
  std::string actor;
  std::string time;
  std::int64_t seq = 0;
};
// What identifies a question across runs: its text, lower-cased, with runs of white space as one space.
std::string question_fingerprint(std::string_view question);

struct RowAnswer {
  std::size_t row = 0; // 0-based row in the sheet
  std::string question;
  Verdict verdict = Verdict::needs_review;
  std::string comment;
  std::string evidence;
  std::string topic;
  std::string key; // the answer key (or keys, "a + b"), empty when none matched
  double confidence = 0;
  bool approved = false;
};

struct SheetOptions {
  std::string question_column; // a header (any language) or a 1-based column number; empty: look for one
};

struct AnsweredSheet {
  Workbook book; // the customer's workbook with the answer columns filled in
  std::size_t sheet = 0;
  std::size_t header_row = 0;
  std::size_t question_column = 0;
  std::vector<RowAnswer> rows;
  std::map<std::string, std::size_t> counts; // answer -> how many
};

// Answer every question of `book`. `file` names the sheet in messages. Errc::usage when no question
// column can be found (the message lists the headers seen).
Result<AnsweredSheet> answer_workbook(Workbook book, const std::string& file, const SheetOptions& options,
                                      const Bank& bank, const Matcher& matcher, const render::DocumentInputs& inputs,
                                      const std::map<std::string, Approval>& approvals);

// Locate the question column of `book` (as answer_workbook does): sheet, header row, column.
struct QuestionColumn {
  std::size_t sheet = 0, header_row = 0, column = 0;
};
Result<QuestionColumn> find_question_column(const Workbook& book, const std::string& file, const std::string& option);

// The rows that need a person, grouped by topic (text for stdout).
std::string review_text(const AnsweredSheet& answered);

// The answers as JSON (schema_version 1).
std::string json_text(const AnsweredSheet& answered, const nlohmann::json& provenance);

} // namespace complycli::questionnaire
