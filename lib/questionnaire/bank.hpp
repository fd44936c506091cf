#pragma once

// The question bank (templates/questionnaires/bank.yaml): answer keys, each naming the facts that back
// it (check results and profile fields, with their polarity), and the many ways a customer may ask for
// it (phrasings, some asking the reverse), plus the synonyms and polarity words the matcher uses.

#include "core/error.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace complycli::questionnaire {

// One fact an answer key needs. `check` and `profile` together back the same fact from two sides:
// when they disagree the answer is a contradiction, never "Yes".
struct Requirement {
  std::string check;   // a check id that must pass in fresh results
  std::string profile; // a dotted profile path that must hold
  std::string field;   // with `profile` naming a list: the field every element must hold
  bool expect = true;  // polarity: true, the value must be present and not false or empty; false, it must be false
};

struct AnswerKey {
  std::string id;
  std::string topic;
  std::string explanation;            // Mustache over the document data (the profile and its derived fields)
  std::string fixed;                  // "Not applicable": answered so whatever the evidence says
  std::string review;                 // what a person must look at when nothing automated backs the key
  std::vector<Requirement> needs;     // all must hold for "Yes"
  std::vector<std::string> all_of;    // a composite key: answered by its weakest part
  bool partial = false;               // some facts holding and some failing is "Partial", not "No"
};

struct Phrasing {
  std::string key;
  std::string text;
  bool reversed = false; // asks the opposite of the key ("Is our data used to train models?")
};

struct Bank {
  std::string name;
  double threshold = 0.5;                                   // below it: Needs review
  std::vector<std::pair<std::string, std::string>> synonyms; // " variant words " -> " canonical words ", longest first
  std::set<std::string> negations;                          // words that reverse what is asked ("not")
  std::set<std::string> flips;                              // words that reverse it and carry topic ("disabled")
  std::set<std::string> stopwords;
  std::map<std::string, AnswerKey> keys;
  std::vector<Phrasing> phrasings;
};

// The words of `text`: lower-case ASCII letters and digits (and any non-ASCII UTF-8 letters), split on
// everything else; "n't" becomes " not" and "cannot" "can not" first.
std::vector<std::string> split_words(std::string_view text);

// Read and validate a bank: Errc::config naming the file and the key for anything malformed (an
// unknown key in all_of, a requirement with neither check nor profile, a key without phrasings).
Result<Bank> load_bank(const std::filesystem::path& path);

} // namespace complycli::questionnaire
