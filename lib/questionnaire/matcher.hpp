#pragma once

// Matching a customer's question to the bank's answer keys: an in-memory SQLite FTS5 index of the
// phrasings (porter stemming over unicode61), queried with bm25 after synonyms are folded; a
// confidence from how much of the question the best phrasing covers (idf-weighted, both ways); and
// the polarity: a question that negates or reverses what the phrasing asks is flagged `reversed`.

#include "core/error.hpp"
#include "questionnaire/bank.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;

namespace complycli::questionnaire {

struct Candidate {
  std::string key;
  std::string phrasing;  // the bank text that matched best
  double confidence = 0; // 0..1
  double bm25 = 0;       // SQLite's bm25() (lower is better)
  bool reversed = false; // the question asks the opposite of the key
};

// Lower-case words of `text` with synonyms folded ("2fa" -> "mfa"), negations spelled out
// ("don't" -> "do not"); the form phrasings are indexed in and questions are queried in.
std::vector<std::string> normalise(std::string_view text, const Bank& bank);

// Split a several-part question into its parts: sentences or clauses that each ask something
// ("...? ...?", "; ", "(a) ... (b) ...", ", and is ..."). A question with one part is returned whole.
std::vector<std::string> split_parts(std::string_view question);

class Matcher {
public:
  static Result<Matcher> build(const Bank& bank);
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;
  ~Matcher();

  // The best candidates for one question (one part), best first, at most one per key.
  Result<std::vector<Candidate>> match(std::string_view question, std::size_t limit = 3) const;

private:
  Matcher() = default;
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  const Bank* m_bank = nullptr;
  std::unique_ptr<sqlite3, Closer> m_db;
  std::vector<std::vector<std::string>> m_stems;  // per phrasing: its content words, stemmed
  std::vector<int> m_flips;                       // per phrasing: how many polarity words it has
  std::unordered_map<std::string, double> m_idf; // stem -> weight
  double m_unknown_weight = 1.0;
};

} // namespace complycli::questionnaire
