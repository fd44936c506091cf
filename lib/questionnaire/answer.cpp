#include "questionnaire/answer.hpp"

#include "render/inputs.hpp"
#include "render/profile_text.hpp"
#include "render/template.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace complycli::questionnaire {

namespace {

using json = nlohmann::json;

using render::lower;
using render::trimmed;
using render::value_text;

bool truthy(const json& value)
{
  return render::truthy(&value);
}

enum class Outcome { pass, fail, unknown, contradiction };

struct Judged {
  Outcome outcome = Outcome::unknown;
  std::string reason;   // why not pass
  std::string evidence; // what was looked at
};

struct ResultsState {
  bool present = false;
  bool fresh = false;
  std::string date;
  long age_days = 0;
};

ResultsState results_state(const render::DocumentInputs& inputs)
{
  ResultsState state;
  if (!inputs.results) {
    return state;
  }
  state.present = true;
  const std::string generated = inputs.results->data.value("generated", "");
  const auto date = util::parse_date(std::string_view(generated).substr(0, std::min<std::size_t>(10, generated.size())));
  if (!date) {
    return state;
  }
  state.date = util::format_date(*date);
  state.age_days = static_cast<long>((std::chrono::sys_days{inputs.date} - std::chrono::sys_days{*date}).count());
  state.fresh = state.age_days >= 0 && state.age_days <= inputs.max_age_days;
  return state;
}

Judged judge_check(const std::string& id, const render::DocumentInputs& inputs, const ResultsState& state)
{
  if (!state.present) {
    return {Outcome::unknown, fmt::format("check {}: no check results were given", id), ""};
  }
  if (!state.fresh) {
    return {Outcome::unknown,
            fmt::format("check {}: the check results are {} days old (more than {})", id, state.age_days, inputs.max_age_days),
            fmt::format("check {}: stale ({})", id, state.date)};
  }
  const auto& checks = inputs.results->data["checks"];
  for (const auto& check : checks) {
    if (check.value("id", "") == id) {
      const std::string status = check.value("status", "");
      const std::string evidence = fmt::format("check {}: {} ({})", id, status, state.date);
      if (status == "pass") {
        return {Outcome::pass, "", evidence};
      }
      if (status == "fail") {
        return {Outcome::fail, fmt::format("check {} failed on {}", id, state.date), evidence};
      }
      return {Outcome::unknown, fmt::format("check {} reached no verdict ({})", id, status), evidence};
    }
  }
  return {Outcome::unknown, fmt::format("check {} is not in the check results", id), ""};
}

Judged judge_profile(const Requirement& req, const render::DocumentInputs& inputs)
{
  const json& profile = inputs.profile.data;
  const json* value = render::find_path(profile, req.profile);
  if (value == nullptr || value->is_null()) {
    return {Outcome::unknown, fmt::format("the profile does not state {}", req.profile), ""};
  }
  if (!req.field.empty()) {
    if (!value->is_array() || value->empty()) {
      return {Outcome::unknown, fmt::format("the profile lists no {}", req.profile), ""};
    }
    std::vector<std::string> bad;
    std::vector<std::string> missing;
    for (const auto& item : *value) {
      const std::string name = item.is_object() ? item.value("name", "?") : "?";
      if (!item.is_object() || !item.contains(req.field) || item[req.field].is_null()) {
        missing.push_back(name);
      } else if (truthy(item[req.field]) != req.expect) {
        bad.push_back(fmt::format("{} ({} {})", name, req.field, value_text(item[req.field])));
      }
    }
    const std::string evidence = fmt::format("profile {}[].{}", req.profile, req.field);
    if (!bad.empty()) {
      std::string list;
      for (const auto& b : bad) {
        list += (list.empty() ? "" : ", ") + b;
      }
      return {Outcome::fail, fmt::format("the profile states {}", list), evidence + ": not all"};
    }
    if (!missing.empty()) {
      return {Outcome::unknown, fmt::format("the profile does not state {} for {}", req.field, missing.front()), evidence};
    }
    return {Outcome::pass, "", evidence + fmt::format(": all {}", value->size())};
  }
  const std::string shown = value->is_array()    ? fmt::format("{} entries", value->size())
                            : value->is_object() ? fmt::format("{} fields", value->size())
                                                 : value_text(*value);
  const std::string evidence = fmt::format("profile {}: {}", req.profile, shown);
  if (truthy(*value) == req.expect) {
    return {Outcome::pass, "", evidence};
  }
  return {Outcome::fail, fmt::format("the profile states {}: {}", req.profile, shown), evidence};
}

Judged judge(const Requirement& req, const render::DocumentInputs& inputs, const ResultsState& state)
{
  if (req.profile.empty()) {
    return judge_check(req.check, inputs, state);
  }
  if (req.check.empty()) {
    return judge_profile(req, inputs);
  }
  const auto p = judge_profile(req, inputs);
  const auto c = judge_check(req.check, inputs, state);
  Judged both;
  both.evidence = p.evidence + (p.evidence.empty() || c.evidence.empty() ? "" : "; ") + c.evidence;
  if ((p.outcome == Outcome::pass && c.outcome == Outcome::fail) || (p.outcome == Outcome::fail && c.outcome == Outcome::pass)) {
    both.outcome = Outcome::contradiction;
    both.reason = fmt::format("the profile and the check results disagree: {}; {}",
                              p.outcome == Outcome::pass ? p.evidence : p.reason,
                              c.outcome == Outcome::pass ? c.evidence : c.reason);
  } else if (p.outcome == Outcome::fail || c.outcome == Outcome::fail) {
    both.outcome = Outcome::fail;
    both.reason = p.outcome == Outcome::fail ? p.reason : c.reason;
  } else if (p.outcome == Outcome::unknown || c.outcome == Outcome::unknown) {
    both.outcome = Outcome::unknown;
    both.reason = p.outcome == Outcome::unknown ? p.reason : c.reason;
  } else {
    both.outcome = Outcome::pass;
  }
  return both;
}

std::string sentence(const std::vector<std::string>& reasons)
{
  std::string out;
  for (const auto& r : reasons) {
    if (!r.empty()) {
      out += (out.empty() ? "" : "; ") + r;
    }
  }
  if (!out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    out += ".";
  }
  return out;
}

struct PartAnswer {
  Verdict verdict = Verdict::needs_review;
  std::string comment;
  std::vector<std::string> evidence;
  std::string topic;
  std::string key;
  double confidence = 0;
};

Verdict combine(const std::vector<Verdict>& verdicts)
{
  if (verdicts.empty()) {
    return Verdict::needs_review;
  }
  std::set<Verdict> seen(verdicts.begin(), verdicts.end());
  if (seen.contains(Verdict::needs_review)) {
    return Verdict::needs_review;
  }
  if (seen.size() > 1) {
    seen.erase(Verdict::not_applicable);
  }
  return seen.size() == 1 ? *seen.begin() : Verdict::partial;
}

// Each key's verdict depends only on the inputs: judged once per sheet (rendering an explanation
// walks the whole document data).
using Verdicts = std::map<std::string, KeyResult>;

Result<PartAnswer> answer_part(const std::string& part, const Bank& bank, const Matcher& matcher,
                               const render::DocumentInputs& inputs, const json& data, Verdicts& judged)
{
  PartAnswer out;
  const auto candidates = TRY(matcher.match(part, 3));
  if (candidates.empty()) {
    out.comment = "No answer key of the bank matches this question; a person must answer it.";
    out.topic = "Unmatched";
    return out;
  }
  const auto& best = candidates.front();
  const AnswerKey& key = bank.keys.at(best.key);
  out.topic = key.topic;
  out.key = best.key;
  out.confidence = best.confidence;
  if (best.confidence < bank.threshold) {
    std::string names;
    for (const auto& c : candidates) {
      names += fmt::format("{}{} ({:.2f}: \"{}\")", names.empty() ? "" : ", ", c.key, c.confidence, c.phrasing);
    }
    out.comment = fmt::format("No confident match; closest answer keys: {}. A person must answer it.", names);
    out.key.clear();
    return out;
  }
  std::vector<const AnswerKey*> parts;
  if (key.all_of.empty()) {
    parts.push_back(&key);
  } else {
    for (const auto& id : key.all_of) {
      parts.push_back(&bank.keys.at(id));
    }
  }
  std::vector<Verdict> verdicts;
  std::vector<std::string> comments;
  for (const auto* k : parts) {
    auto it = judged.find(k->id);
    if (it == judged.end()) {
      it = judged.emplace(k->id, TRY(evaluate_key(*k, inputs, data))).first;
    }
    const KeyResult& r = it->second;
    verdicts.push_back(r.verdict);
    comments.push_back(r.comment);
    out.evidence.insert(out.evidence.end(), r.evidence.begin(), r.evidence.end());
  }
  Verdict verdict = combine(verdicts);
  std::string comment;
  for (const auto& c : comments) {
    comment += (comment.empty() || c.empty() ? "" : " ") + c;
  }
  if (best.reversed) {
    switch (verdict) {
    case Verdict::yes:
      verdict = Verdict::no;
      comment = "The question asks the opposite of what holds. " + comment;
      break;
    case Verdict::no:
    case Verdict::partial:
      verdict = Verdict::needs_review;
      comment = "The question asks the opposite of this answer key, and the key does not hold in full: a person must "
                "decide. " + comment;
      break;
    default: break;
    }
  }
  out.verdict = verdict;
  out.comment = comment;
  return out;
}

} // namespace

const char* label(Verdict verdict)
{
  switch (verdict) {
  case Verdict::yes: return "Yes";
  case Verdict::partial: return "Partial";
  case Verdict::no: return "No";
  case Verdict::not_applicable: return "Not applicable";
  case Verdict::needs_review: return "Needs review";
  }
  return "Needs review";
}

std::optional<Verdict> parse_verdict(std::string_view text)
{
  const auto t = lower(trimmed(text));
  if (t == "yes" || t == "y" || t == "true") {
    return Verdict::yes;
  }
  if (t == "no" || t == "n" || t == "false") {
    return Verdict::no;
  }
  if (t == "partial" || t == "partially") {
    return Verdict::partial;
  }
  if (t == "not applicable" || t == "n/a" || t == "na") {
    return Verdict::not_applicable;
  }
  if (t == "needs review") {
    return Verdict::needs_review;
  }
  return std::nullopt;
}

Result<KeyResult> evaluate_key(const AnswerKey& key, const render::DocumentInputs& inputs, const json& data)
{
  KeyResult r;
  const auto explanation = [&]() -> Result<std::string> {
    if (key.explanation.empty()) {
      return std::string();
    }
    return render::render_text(key.explanation, fmt::format("question bank: keys.{}.explanation", key.id), data,
                               render::Escape::none);
  };
  if (!key.fixed.empty()) {
    r.verdict = Verdict::not_applicable;
    r.comment = TRY(explanation());
    return r;
  }
  if (key.needs.empty()) {
    r.verdict = Verdict::needs_review;
    r.comment = "No check result or profile field backs this answer; a person must answer it." +
                (key.review.empty() ? std::string() : " " + key.review);
    return r;
  }
  const auto state = results_state(inputs);
  std::vector<std::string> fails;
  std::vector<std::string> unknowns;
  std::vector<std::string> contradictions;
  std::size_t passed = 0;
  for (const auto& req : key.needs) {
    const auto j = judge(req, inputs, state);
    if (!j.evidence.empty()) {
      r.evidence.push_back(j.evidence);
    }
    switch (j.outcome) {
    case Outcome::pass: ++passed; break;
    case Outcome::fail: fails.push_back(j.reason); break;
    case Outcome::unknown: unknowns.push_back(j.reason); break;
    case Outcome::contradiction: contradictions.push_back(j.reason); break;
    }
  }
  if (!contradictions.empty()) {
    r.verdict = Verdict::needs_review;
    r.comment = sentence(contradictions);
  } else if (!fails.empty()) {
    r.verdict = key.partial && passed > 0 && unknowns.empty() ? Verdict::partial : Verdict::no;
    if (r.verdict == Verdict::partial) {
      r.comment = TRY(explanation()) + " But: " + sentence(fails);
    } else {
      r.comment = sentence(fails);
    }
  } else if (!unknowns.empty()) {
    r.verdict = Verdict::needs_review;
    r.comment = sentence(unknowns);
  } else {
    r.verdict = Verdict::yes;
    r.comment = TRY(explanation());
  }
  return r;
}

std::string question_fingerprint(std::string_view question)
{
  std::string out;
  bool space = false;
  for (const char c : trimmed(question)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) {
      out += ' ';
    }
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<QuestionColumn> find_question_column(const Workbook& book, const std::string& file, const std::string& option)
{
  const std::string wanted = lower(trimmed(option));
  const bool numeric = !wanted.empty() && std::all_of(wanted.begin(), wanted.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (numeric) {
    const auto n = std::stoul(wanted.size() > 6 ? std::string("0") : wanted);
    if (n == 0) {
      return fail(Errc::usage, "--question-column {}: column numbers start at 1", option);
    }
    for (std::size_t s = 0; s < book.sheets.size(); ++s) {
      const auto& rows = book.sheets[s].rows;
      for (std::size_t r = 0; r < rows.size() && r < 20; ++r) {
        if (rows[r].size() >= n && !trimmed(rows[r][n - 1]).empty()) {
          return QuestionColumn{s, r, n - 1};
        }
      }
    }
    return fail(Errc::usage, "{}: no sheet has a column {}", file, n);
  }
  static const std::set<std::string> known = {
      "question", "questions", "question text", "control question", "assessment question", "frage", "fragen",
      "fragestellung", "fragetext", "pregunta", "preguntas", "question posée", "domanda", "vraag", "pergunta",
      "questão", "requirement", "anforderung", "kontrollfrage"};
  std::vector<std::string> seen;
  for (std::size_t s = 0; s < book.sheets.size(); ++s) {
    const auto& rows = book.sheets[s].rows;
    for (std::size_t r = 0; r < rows.size() && r < 20; ++r) {
      for (std::size_t c = 0; c < rows[r].size(); ++c) {
        const auto cell = lower(trimmed(rows[r][c]));
        if (wanted.empty() ? known.contains(cell) : cell == wanted) {
          return QuestionColumn{s, r, c};
        }
        if (r == 0 && s == 0 && !cell.empty() && seen.size() < 12) {
          seen.push_back("\"" + trimmed(rows[r][c]) + "\"");
        }
      }
    }
  }
  std::string headers;
  for (const auto& h : seen) {
    headers += (headers.empty() ? "" : ", ") + h;
  }
  if (wanted.empty()) {
    return fail_with_hint(Errc::usage, "name the column with --question-column NAME or --question-column NUMBER (1 is the first)",
                          "{}: no column is headed \"Question\" (the first row has {})", file,
                          headers.empty() ? "no headers" : headers);
  }
  return fail_with_hint(Errc::usage, "the first row has " + (headers.empty() ? std::string("no headers") : headers),
                        "{}: no column is headed \"{}\"", file, option);
}

Result<AnsweredSheet> answer_workbook(Workbook book, const std::string& file, const SheetOptions& options,
                                      const Bank& bank, const Matcher& matcher, const render::DocumentInputs& inputs,
                                      const std::map<std::string, Approval>& approvals)
{
  const auto where = TRY(find_question_column(book, file, options.question_column));
  const json data = TRY(render::document_data(inputs));
  Verdicts judged;
  AnsweredSheet out;
  out.sheet = where.sheet;
  out.header_row = where.header_row;
  out.question_column = where.column;
  auto& rows = book.sheets[where.sheet].rows;
  auto& header = rows[where.header_row];
  // The answer columns: the sheet's own when it has them (a second run), else appended.
  const std::vector<std::string> names = {"Answer", "Comment", "Evidence", "Confidence"};
  std::vector<std::size_t> columns;
  for (const auto& name : names) {
    std::size_t at = header.size();
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (c != where.column && lower(trimmed(header[c])) == lower(name)) {
        at = c;
        break;
      }
    }
    if (at == header.size()) {
      header.push_back(name);
    }
    columns.push_back(at);
  }
  for (std::size_t r = where.header_row + 1; r < rows.size(); ++r) {
    auto& row = rows[r];
    if (row.size() <= where.column || trimmed(row[where.column]).empty()) {
      continue;
    }
    RowAnswer a;
    a.row = r;
    a.question = row[where.column];
    const auto fingerprint = question_fingerprint(a.question);
    if (const auto it = approvals.find(fingerprint); it != approvals.end()) {
      a.verdict = parse_verdict(it->second.answer).value_or(Verdict::needs_review);
      a.comment = it->second.comment;
      a.evidence = fmt::format("approved by {} on {} (audit log entry {})", it->second.actor,
                               it->second.time.substr(0, 10), it->second.seq);
      a.confidence = 1.0;
      a.approved = true;
      a.topic = "Approved";
    } else {
      const auto parts = split_parts(a.question);
      std::vector<PartAnswer> answers;
      for (const auto& part : parts) {
        answers.push_back(TRY(answer_part(part, bank, matcher, inputs, data, judged)));
      }
      // A part with nothing to match ("Please explain.") does not count when others do.
      if (answers.size() > 1) {
        std::erase_if(answers, [](const PartAnswer& p) { return p.topic == "Unmatched"; });
        if (answers.empty()) {
          answers.push_back(TRY(answer_part(a.question, bank, matcher, inputs, data, judged)));
        }
      }
      std::vector<Verdict> verdicts;
      std::set<std::string> evidence_seen;
      a.confidence = 1.0;
      for (std::size_t i = 0; i < answers.size(); ++i) {
        const auto& p = answers[i];
        verdicts.push_back(p.verdict);
        a.confidence = std::min(a.confidence, p.confidence);
        const std::string prefix = answers.size() > 1 ? fmt::format("Part {}: ", i + 1) : "";
        if (!p.comment.empty()) {
          a.comment += (a.comment.empty() ? "" : " ") + prefix + p.comment;
        }
        for (const auto& e : p.evidence) {
          if (evidence_seen.insert(e).second) {
            a.evidence += (a.evidence.empty() ? "" : "; ") + e;
          }
        }
        if (a.topic.empty() || p.verdict == Verdict::needs_review) {
          a.topic = p.topic;
        }
        if (!p.key.empty()) {
          a.key += (a.key.empty() ? "" : " + ") + p.key;
        }
      }
      a.verdict = combine(verdicts);
    }
    const std::vector<std::string> values = {label(a.verdict), a.comment, a.evidence, fmt::format("{:.2f}", a.confidence)};
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (row.size() <= columns[i]) {
        row.resize(columns[i] + 1);
      }
      row[columns[i]] = values[i];
    }
    ++out.counts[label(a.verdict)];
    out.rows.push_back(std::move(a));
  }
  // Rows above and below keep their width; pad data rows so every answer column lines up.
  out.book = std::move(book);
  return out;
}

std::string review_text(const AnsweredSheet& answered)
{
  std::map<std::string, std::vector<const RowAnswer*>> by_topic;
  for (const auto& a : answered.rows) {
    if (a.verdict == Verdict::needs_review) {
      by_topic[a.topic.empty() ? "Unmatched" : a.topic].push_back(&a);
    }
  }
  std::string out;
  std::size_t total = 0;
  for (const auto& [topic, rows] : by_topic) {
    out += fmt::format("## {} ({})\n", topic, rows.size());
    for (const auto* a : rows) {
      std::string q = question_fingerprint(a->question);
      if (q.size() > 100) {
        q.resize(97); // not substr + "...": g++ 12 -O2 warns (-Warray-bounds) on that concatenation
        q += "...";
      }
      out += fmt::format("row {}: {}\n  {}\n", a->row + 1, trimmed(a->question).size() > 100 ? q : trimmed(a->question), a->comment);
      ++total;
    }
    out += "\n";
  }
  return fmt::format("{} of {} questions need a person\n\n", total, answered.rows.size()) + out;
}

std::string json_text(const AnsweredSheet& answered, const json& provenance)
{
  json doc = {{"schema_version", 1}, {"sheet", answered.book.sheets[answered.sheet].name}, {"answers", json::array()}};
  for (const auto& a : answered.rows) {
    doc["answers"].push_back({{"row", a.row + 1},
                              {"question", a.question},
                              {"answer", label(a.verdict)},
                              {"comment", a.comment},
                              {"evidence", a.evidence},
                              {"confidence", std::round(a.confidence * 100) / 100},
                              {"topic", a.topic},
                              {"key", a.key},
                              {"approved", a.approved}});
  }
  doc["counts"] = answered.counts;
  if (!provenance.is_null()) {
    doc["provenance"] = provenance;
  }
  return doc.dump(2) + "\n";
}

} // namespace complycli::questionnaire
