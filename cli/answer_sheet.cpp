#include "answer_sheet.hpp"

#include "auditlog/auditlog.hpp"
#include "questionnaire/answer.hpp"
#include "questionnaire/bank.hpp"
#include "questionnaire/matcher.hpp"
#include "questionnaire/sheet.hpp"
#include "render/csv.hpp"
#include "util/file.hpp"

#include <unistd.h>

#include <algorithm>

namespace complycli::cli {

namespace {

namespace q = questionnaire;

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The approved answers recorded by earlier `answer --accept` runs, latest first wins.
std::map<std::string, q::Approval> load_approvals(const Context& ctx)
{
  std::map<std::string, q::Approval> out;
  auto workspace = ctx.workspace();
  if (!workspace) {
    return out;
  }
  auto log = auditlog::AuditLog::open(*workspace, util::Access::read_only);
  if (!log) {
    return out;
  }
  auditlog::Filter filter;
  filter.action = "answer.approve";
  auto visited = log->for_each(filter, [&](const auditlog::Entry& entry) -> Result<void> {
    const auto details = nlohmann::json::parse(entry.details, nullptr, false);
    if (!details.is_object() || !details.contains("question") || !details["question"].is_string()) {
      return {};
    }
    out[q::question_fingerprint(details["question"].get<std::string>())] =
        q::Approval{details.value("answer", ""), details.value("comment", ""), entry.actor, entry.time, entry.seq};
    return {};
  });
  if (!visited) {
    ctx.warn(fmt::format("could not read approved answers from the audit log: {}", visited.error().message));
  }
  return out;
}

enum class OutFormat { csv, xlsx, json };

Result<OutFormat> output_format(const std::string& option, const std::string& output, q::SheetFormat input)
{
  std::string name = lower(option);
  if (name.empty()) {
    const auto ext = lower(std::filesystem::path(output).extension().string());
    name = ext == ".xlsx" ? "xlsx" : ext == ".json" ? "json" : ext == ".csv" ? "csv" : (input == q::SheetFormat::xlsx ? "xlsx" : "csv");
  }
  if (name == "csv") {
    return OutFormat::csv;
  }
  if (name == "xlsx") {
    return OutFormat::xlsx;
  }
  if (name == "json") {
    return OutFormat::json;
  }
  return fail(Errc::usage, "--format {}: a customer's sheet is written as csv, xlsx or json", option);
}

struct Loaded {
  render::DocumentInputs inputs;
  q::Bank bank;
};

Result<q::AnsweredSheet> answer(const std::string& path, const AnswerSheetOptions& sheet_options,
                                const render::DocumentInputs& inputs, const q::Bank& bank, const q::Matcher& matcher,
                                const std::map<std::string, q::Approval>& approvals)
{
  auto book = TRY(q::read_workbook(path));
  return q::answer_workbook(std::move(book), path, {sheet_options.question_column}, bank, matcher, inputs, approvals);
}

Result<void> accept(const std::string& reviewed, const std::string& questionnaire, const AnswerSheetOptions& sheet_options,
                    const render::DocumentInputs& inputs, const q::Bank& bank, const q::Matcher& matcher, const Context& ctx)
{
  auto workspace = ctx.workspace();
  if (!workspace) {
    return std::unexpected(Error{Errc::io, "--accept records approved answers in the workspace's audit log, and there is no workspace",
                                 "run `complycli init` first, or pass --home DIR"});
  }
  TRY_VOID(auditlog::AuditLog::check_writable(*workspace));
  auto book = TRY(q::read_workbook(reviewed));
  const auto where = TRY(q::find_question_column(book, reviewed, sheet_options.question_column));
  const auto& rows = book.sheets[where.sheet].rows;
  const auto& header = rows[where.header_row];
  std::optional<std::size_t> answer_col;
  std::optional<std::size_t> comment_col;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (lower(header[c]) == "answer") {
      answer_col = c;
    } else if (lower(header[c]) == "comment") {
      comment_col = c;
    }
  }
  if (!answer_col) {
    return fail_with_hint(Errc::usage, "give --accept the sheet `answer` wrote, after a reviewer edited its Answer column",
                          "{}: no column is headed \"Answer\"", reviewed);
  }
  // What the tool answers now (with the approvals already recorded), to see what the reviewer changed.
  const auto approvals = load_approvals(ctx);
  auto fresh = TRY(q::answer_workbook(book, reviewed, {sheet_options.question_column}, bank, matcher, inputs, approvals));
  std::map<std::size_t, const q::RowAnswer*> tool;
  for (const auto& a : fresh.rows) {
    tool[a.row] = &a;
  }
  std::size_t recorded = 0;
  std::size_t unchanged = 0;
  for (std::size_t r = where.header_row + 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() <= where.column || !tool.contains(r)) {
      continue;
    }
    const std::string given = *answer_col < row.size() ? row[*answer_col] : "";
    const auto verdict = q::parse_verdict(given);
    if (!verdict) {
      return fail(Errc::parse, "{}: row {}: answer \"{}\" is not one of Yes, No, Partial, Not applicable, Needs review",
                  reviewed, r + 1, given);
    }
    if (*verdict == q::Verdict::needs_review) {
      continue;
    }
    const std::string comment = comment_col && *comment_col < row.size() ? row[*comment_col] : "";
    const auto* before = tool.at(r);
    if (before->verdict == *verdict && before->comment == comment) {
      ++unchanged;
      continue;
    }
    nlohmann::json details = {{"question", row[where.column]},
                              {"answer", q::label(*verdict)},
                              {"comment", comment},
                              {"was", q::label(before->verdict)},
                              {"sheet", questionnaire.empty() ? reviewed : questionnaire},
                              {"row", r + 1}};
    const auto seq = ctx.record(*workspace, core::Event{"answer.approve", q::question_fingerprint(row[where.column]).substr(0, 200),
                                                        core::Outcome::ok, details});
    if (!seq) {
      return fail(Errc::io, "could not record the approved answer of row {} in the audit log", r + 1);
    }
    ++recorded;
  }
  ctx.info(fmt::format("Recorded {} approved answer{} in the audit log as {} ({} unchanged)", recorded,
                       recorded == 1 ? "" : "s", ctx.actor, unchanged));
  return {};
}

} // namespace

void add_answer_sheet_options(CLI::App* sub, AnswerSheetOptions& options)
{
  sub->add_option("--question-column", options.question_column,
                  "The column that holds the questions: its header (any language) or its number (1 is the first)")
      ->type_name("NAME|NUMBER");
  sub->add_option("--match", options.match,
                  "text: match questions by their wording to the question bank; id: by the mapping's ids; auto "
                  "(default): id for a CSV with columns id and question, else text")
      ->check(CLI::IsMember({"auto", "text", "id"}))
      ->type_name("auto|text|id");
  sub->add_option("--bank", options.bank,
                  "Question bank, or a name under the templates folder (default questionnaires/bank.yaml)")
      ->type_name("FILE");
  sub->add_flag("--review", options.review, "Print the questions that need a person, grouped by topic");
  sub->add_option("--accept", options.accept,
                  "Record a reviewer's edits of an answered sheet (its Answer and Comment columns) in the audit "
                  "log; later runs reuse the approved answers")
      ->type_name("FILE");
}

Result<bool> answers_by_text(const std::string& questionnaire, const AnswerSheetOptions& options)
{
  if (options.match == "text" || !options.question_column.empty() || options.review || !options.accept.empty()) {
    if (options.match == "id") {
      return fail(Errc::usage, "--match id does not go with --question-column, --review or --accept");
    }
    return true;
  }
  if (options.match == "id" || options.mapping_given) {
    return false;
  }
  const auto bytes = TRY(util::read_file(questionnaire));
  if (q::detect_format(questionnaire, bytes) == q::SheetFormat::xlsx) {
    return true;
  }
  // The tool's own questionnaire shape keeps its id mapping.
  const auto end = bytes.find('\n');
  auto first = render::parse_csv(std::string_view(bytes).substr(0, end), questionnaire);
  if (!first || first->empty()) {
    return false; // let the id path report what is wrong with it
  }
  bool id = false;
  bool question = false;
  for (const auto& field : first->front().fields) {
    id = id || lower(field) == "id";
    question = question || lower(field) == "question";
  }
  return !(id && question);
}

Result<void> run_answer_sheet(const DocumentOptions& options, const std::string& questionnaire,
                              const AnswerSheetOptions& sheet_options, const Context& ctx)
{
  auto inputs = TRY(load_document_inputs(options, ctx));
  std::error_code ec;
  const std::filesystem::path bank_path = std::filesystem::is_regular_file(sheet_options.bank, ec)
                                              ? std::filesystem::path(sheet_options.bank)
                                              : TRY(inputs.dirs.find(sheet_options.bank));
  const auto bank = TRY(q::load_bank(bank_path));
  const auto matcher = TRY(q::Matcher::build(bank));
  if (!sheet_options.accept.empty()) {
    return accept(sheet_options.accept, questionnaire, sheet_options, inputs, bank, matcher, ctx);
  }
  const auto approvals = load_approvals(ctx);
  auto answered = TRY(answer(questionnaire, sheet_options, inputs, bank, matcher, approvals));
  const bool write_sheet = !sheet_options.review || options.output != "-";
  if (write_sheet) {
    const auto format = TRY(output_format(options.format, options.output, answered.book.format));
    record_document_run(ctx, "answer", options.output, inputs);
    std::string bytes;
    switch (format) {
    case OutFormat::csv: bytes = q::write_csv(answered.book); break;
    case OutFormat::xlsx:
      if (options.output == "-" && isatty(STDOUT_FILENO) == 1) {
        return fail_with_hint(Errc::usage, "write it to a file: -o answers.xlsx", "refusing to write XLSX to a terminal");
      }
      bytes = TRY(q::write_xlsx(answered.book, answered.sheet));
      break;
    case OutFormat::json: {
      nlohmann::json provenance = {{"profile_sha256", inputs.profile.sha256}};
      if (inputs.results) {
        provenance["results_sha256"] = inputs.results->sha256;
      }
      if (inputs.audit_sequence) {
        provenance["audit_entry"] = *inputs.audit_sequence;
      }
      bytes = q::json_text(answered, provenance);
      break;
    }
    }
    TRY_VOID(write_recorded_document(ctx, "answer", options.output, bytes, options));
  }
  if (sheet_options.review) {
    TRY_VOID(emit("-", q::review_text(answered), util::Overwrite::yes));
  }
  std::string counts;
  for (const auto& [label, count] : answered.counts) {
    counts += fmt::format("{}{}: {}", counts.empty() ? "" : ", ", label, count);
  }
  ctx.info(fmt::format("Answered {} questions by their text ({})", answered.rows.size(), counts));
  return {};
}

} // namespace complycli::cli
