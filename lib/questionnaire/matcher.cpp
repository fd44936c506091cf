#include "questionnaire/matcher.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace complycli::questionnaire {

namespace {

// A light suffix stripper for the confidence (the index itself uses FTS5's porter stemmer): enough
// that "encrypted", "encryption" and "encrypts" meet.
std::string stem(std::string w)
{
  const auto strip = [&](std::string_view suffix, std::size_t min_left, std::string_view add = "") {
    if (w.size() >= suffix.size() + min_left && w.ends_with(suffix)) {
      w.resize(w.size() - suffix.size());
      w += add;
      return true;
    }
    return false;
  };
  if (w.size() <= 3 || std::isdigit(static_cast<unsigned char>(w[0]))) {
    return w;
  }
  strip("ies", 2, "y") || strip("sses", 2, "ss") || (!w.ends_with("ss") && !w.ends_with("us") && strip("s", 3));
  strip("ations", 3) || strip("ation", 3) || strip("ions", 4) || strip("ion", 4) || strip("ments", 3) ||
      strip("ment", 3) || strip("ing", 3) || strip("ed", 3) || strip("ly", 4) || strip("ers", 3) || strip("er", 4) ||
      strip("e", 4);
  return w;
}

struct Prepared {
  std::vector<std::string> stems; // content words, stemmed, unique
  int flips = 0;
};

Prepared prepare(const std::vector<std::string>& words, const Bank& bank)
{
  Prepared p;
  std::set<std::string> seen;
  for (const auto& w : words) {
    if (bank.negations.contains(w)) {
      ++p.flips; // "not", "never": reverse what is asked and say nothing of the topic
      continue;
    }
    if (bank.flips.contains(w)) {
      ++p.flips; // "disabled", "excluded": reverse what is asked, and are part of the topic too
    }
    if (bank.stopwords.contains(w)) {
      continue;
    }
    auto s = stem(w);
    if (seen.insert(s).second) {
      p.stems.push_back(std::move(s));
    }
  }
  return p;
}

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

bool is_enumerator(std::string_view s, std::size_t i, std::size_t& length)
{
  // "(a)", "(ii)", "a)", "1)", "(1)" at the start or after a space or colon.
  if (i > 0 && s[i - 1] != ' ' && s[i - 1] != ':' && s[i - 1] != '\n' && s[i - 1] != '\t') {
    return false;
  }
  std::size_t j = i;
  const bool open = j < s.size() && s[j] == '(';
  if (open) {
    ++j;
  }
  const std::size_t start = j;
  while (j < s.size() && j - start < 4 &&
         (std::isdigit(static_cast<unsigned char>(s[j])) || std::string_view("abcdefghivx").find(s[j]) != std::string_view::npos)) {
    ++j;
  }
  if (j == start || j >= s.size() || s[j] != ')') {
    return false;
  }
  const auto token = s.substr(start, j - start);
  const bool digits = std::all_of(token.begin(), token.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  const bool letter = token.size() == 1 && std::isalpha(static_cast<unsigned char>(token[0]));
  const bool roman = std::all_of(token.begin(), token.end(), [](char c) { return c == 'i' || c == 'v' || c == 'x'; });
  if (!digits && !letter && !roman) {
    return false;
  }
  length = j + 1 - i;
  return true;
}

std::string trim(std::string_view s)
{
  const auto is_trim = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' || c == ';'; };
  while (!s.empty() && is_trim(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_trim(s.back())) {
    s.remove_suffix(1);
  }
  for (std::string_view tail : {" and", " or", " and/or"}) {
    if (s.ends_with(tail)) {
      s.remove_suffix(tail.size());
    }
  }
  return std::string(s);
}

// Split at ", and <verb>" / " and <verb> you" where a new clause asks something of its own.
void split_clauses(const std::string& text, std::vector<std::string>& out)
{
  static const std::vector<std::string> joints = {" and are ", " and is ", " and do ", " and does ", " and have ",
                                                  " and has ", " and will ", " and can ", " and was ", " and were ",
                                                  " and how ", " and who ", " and when ", " also, ", " and if so, "};
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::size_t start = 0;
  while (true) {
    std::size_t best = std::string::npos;
    std::size_t skip = 0;
    for (const auto& joint : joints) {
      const auto at = lower.find(joint, start);
      if (at != std::string::npos && at < best && at > start + 12) {
        best = at;
        skip = joint.starts_with(" and ") ? 5 : joint.size();
      }
    }
    if (best == std::string::npos) {
      break;
    }
    if (auto part = trim(std::string_view(text).substr(start, best - start)); !part.empty()) {
      out.push_back(part);
    }
    start = best + skip;
  }
  if (auto part = trim(std::string_view(text).substr(start)); !part.empty()) {
    out.push_back(part);
  }
}

} // namespace

std::vector<std::string> normalise(std::string_view text, const Bank& bank)
{
  const auto words = split_words(text);
  if (bank.synonyms.empty()) {
    return words;
  }
  std::string s = " ";
  for (const auto& w : words) {
    s += w + " ";
  }
  for (const auto& [variant, canonical] : bank.synonyms) {
    std::size_t at = 0;
    while ((at = s.find(variant, at)) != std::string::npos) {
      s.replace(at, variant.size(), canonical);
      at += canonical.size() - 1; // the replacement ends with the space the next match may start on
    }
  }
  return split_words(s);
}

std::vector<std::string> split_parts(std::string_view question)
{
  // 1. Enumerated parts, each with the stem before the first enumerator: "Do you (a) x, (b) y?"
  std::vector<std::string> enumerated;
  std::string stem_text;
  std::size_t last = std::string_view::npos;
  for (std::size_t i = 0; i < question.size(); ++i) {
    std::size_t length = 0;
    if (is_enumerator(question, i, length)) {
      if (last == std::string_view::npos) {
        stem_text = trim(question.substr(0, i));
      } else {
        enumerated.push_back(trim(question.substr(last, i - last)));
      }
      last = i + length;
      i += length - 1;
    }
  }
  std::vector<std::string> pieces;
  if (last != std::string_view::npos) {
    enumerated.push_back(trim(question.substr(last)));
    if (enumerated.size() >= 2) {
      for (const auto& e : enumerated) {
        if (!e.empty()) {
          pieces.push_back(stem_text.empty() ? e : stem_text + " " + e);
        }
      }
    }
  }
  if (pieces.empty()) {
    pieces.emplace_back(question);
  }
  // 2. Sentences that ask ("...? ...?"), clauses after ";" and new clauses after "and".
  std::vector<std::string> out;
  for (const auto& piece : pieces) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= piece.size(); ++i) {
      if (i == piece.size() || piece[i] == '?' || piece[i] == ';' || piece[i] == '\n') {
        const auto text = trim(std::string_view(piece).substr(start, i - start));
        if (!text.empty()) {
          split_clauses(text, out);
        }
        start = i + 1;
      }
    }
  }
  if (out.empty()) {
    out.emplace_back(question);
  }
  return out;
}

void Matcher::Closer::operator()(sqlite3* db) const
{
  sqlite3_close(db);
}

Matcher::Matcher(Matcher&& other) noexcept = default;
Matcher& Matcher::operator=(Matcher&& other) noexcept = default;
Matcher::~Matcher() = default;

Result<Matcher> Matcher::build(const Bank& bank)
{
  Matcher m;
  m.m_bank = &bank;
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    sqlite3_close(raw);
    return fail(Errc::io, "cannot open an in-memory SQLite database");
  }
  m.m_db.reset(raw);
  char* message = nullptr;
  if (sqlite3_exec(raw, "CREATE VIRTUAL TABLE phrasing USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2')",
                   nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    return fail(Errc::internal, "SQLite FTS5 is not available: {}", text);
  }
  sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr);
  Statement insert;
  if (sqlite3_prepare_v2(raw, "INSERT INTO phrasing(rowid, text) VALUES (?, ?)", -1, &insert.stmt, nullptr) != SQLITE_OK) {
    return fail(Errc::internal, "SQLite: {}", sqlite3_errmsg(raw));
  }
  std::map<std::string, int> df;
  for (std::size_t i = 0; i < bank.phrasings.size(); ++i) {
    const auto words = normalise(bank.phrasings[i].text, bank);
    std::string text;
    for (const auto& w : words) {
      text += (text.empty() ? "" : " ") + w;
    }
    sqlite3_bind_int64(insert.stmt, 1, static_cast<sqlite3_int64>(i + 1));
    sqlite3_bind_text(insert.stmt, 2, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(insert.stmt) != SQLITE_DONE) {
      return fail(Errc::internal, "SQLite: {}", sqlite3_errmsg(raw));
    }
    sqlite3_reset(insert.stmt);
    auto p = prepare(words, bank);
    for (const auto& s : p.stems) {
      ++df[s];
    }
    m.m_stems.push_back(std::move(p.stems));
    m.m_flips.push_back(p.flips);
  }
  sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  const double n = static_cast<double>(bank.phrasings.size());
  for (const auto& [s, count] : df) {
    m.m_idf[s] = std::log(1.0 + n / count);
  }
  m.m_unknown_weight = std::log(1.0 + n / 2.0); // a word no phrasing has: nearly as telling as the rarest
  return m;
}

Result<std::vector<Candidate>> Matcher::match(std::string_view question, std::size_t limit) const
{
  const Bank& bank = *m_bank;
  const auto words = normalise(question, bank);
  const auto q = prepare(words, bank);
  std::vector<Candidate> out;
  if (q.stems.empty()) {
    return out;
  }
  std::string query;
  std::set<std::string> used;
  for (const auto& w : words) {
    if (bank.stopwords.contains(w) || bank.negations.contains(w) || !used.insert(w).second) {
      continue;
    }
    query += (query.empty() ? "\"" : " OR \"") + w + "\"";
  }
  if (query.empty()) {
    return out;
  }
  Statement select;
  sqlite3* db = m_db.get();
  if (sqlite3_prepare_v2(db, "SELECT rowid, bm25(phrasing) FROM phrasing WHERE phrasing MATCH ? ORDER BY bm25(phrasing) LIMIT 40",
                         -1, &select.stmt, nullptr) != SQLITE_OK) {
    return fail(Errc::internal, "SQLite: {}", sqlite3_errmsg(db));
  }
  sqlite3_bind_text(select.stmt, 1, query.c_str(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
  const auto weight = [&](const std::string& s) {
    const auto it = m_idf.find(s);
    return it == m_idf.end() ? m_unknown_weight : it->second;
  };
  double q_total = 0;
  for (const auto& s : q.stems) {
    q_total += weight(s);
  }
  std::map<std::string, Candidate> best;
  int rc = 0;
  while ((rc = sqlite3_step(select.stmt)) == SQLITE_ROW) {
    const auto index = static_cast<std::size_t>(sqlite3_column_int64(select.stmt, 0) - 1);
    const double bm25 = sqlite3_column_double(select.stmt, 1);
    if (index >= m_stems.size()) {
      continue;
    }
    double common = 0;
    double p_total = 0;
    for (const auto& s : m_stems[index]) {
      const double w = weight(s);
      p_total += w;
      if (std::find(q.stems.begin(), q.stems.end(), s) != q.stems.end()) {
        common += w;
      }
    }
    const double q_cover = q_total > 0 ? common / q_total : 0;
    const double p_cover = p_total > 0 ? common / p_total : 0;
    // One word of topic ("How many employees do you have?") matches too much: then the phrasing must
    // be about little else ("Do you have a DPO?" against "Who is your DPO?").
    Candidate c;
    c.key = bank.phrasings[index].key;
    c.phrasing = bank.phrasings[index].text;
    // The harmonic mean: a question about something else ("How many employees do you have?") covers
    // little of any phrasing, and a phrasing that shares one word covers little of the question.
    c.confidence = q.stems.size() == 1 ? q_cover * p_cover
                   : q_cover + p_cover > 0 ? 2 * q_cover * p_cover / (q_cover + p_cover)
                                           : 0;
    c.bm25 = bm25;
    c.reversed = bank.phrasings[index].reversed != ((q.flips % 2) != (m_flips[index] % 2));
    auto [it, added] = best.emplace(c.key, c);
    if (!added && (c.confidence > it->second.confidence + 1e-9)) {
      it->second = c;
    }
  }
  if (rc != SQLITE_DONE) {
    return fail(Errc::internal, "SQLite: {}", sqlite3_errmsg(db));
  }
  for (auto& [key, c] : best) {
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.confidence != b.confidence ? a.confidence > b.confidence : a.bm25 < b.bm25;
  });
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

} // namespace complycli::questionnaire
