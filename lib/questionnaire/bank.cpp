#include "questionnaire/bank.hpp"

#include "yaml/document.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace complycli::questionnaire {

namespace {

using json = nlohmann::json;

bool string_list(const json& node)
{
  return node.is_array() && std::all_of(node.begin(), node.end(), [](const json& v) { return v.is_string(); });
}

Result<std::vector<std::string>> strings(const json& parent, const char* field, const std::string& where)
{
  std::vector<std::string> out;
  if (!parent.contains(field)) {
    return out;
  }
  if (!string_list(parent[field])) {
    return fail(Errc::config, "{}.{}: expected a list of text", where, field);
  }
  for (const auto& v : parent[field]) {
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string joined(const std::vector<std::string>& words)
{
  std::string out = " ";
  for (const auto& w : words) {
    out += w + " ";
  }
  return out;
}

} // namespace

std::vector<std::string> split_words(std::string_view text)
{
  std::string s;
  s.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        static_cast<unsigned char>(text[i + 2]) == 0x99) { // U+2019, the typographic apostrophe
      s += '\'';
      i += 2;
    } else {
      s += static_cast<char>(std::tolower(c));
    }
  }
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (word.empty()) {
      return;
    }
    if (word == "cannot") {
      words.emplace_back("can");
      words.emplace_back("not");
    } else {
      words.push_back(word);
    }
    word.clear();
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\'' && i + 1 < s.size() && s[i + 1] == 't' && !word.empty() && word.back() == 'n' &&
        (i + 2 == s.size() || !std::isalnum(static_cast<unsigned char>(s[i + 2])))) {
      word.pop_back(); // "don't" -> "do not"
      flush();
      words.emplace_back("not");
      ++i;
    } else if (std::isalnum(c) || c >= 0x80) {
      word += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  return words;
}

Result<Bank> load_bank(const std::filesystem::path& path)
{
  const std::string file = path.string();
  const json doc = TRY(yaml::load_file(path));
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_object()) {
    return fail(Errc::config, "{}: a question bank needs a \"keys\" mapping", file);
  }
  Bank bank;
  bank.name = doc.value("name", "");
  if (doc.contains("threshold")) {
    if (!doc["threshold"].is_number() || doc["threshold"].get<double>() <= 0 || doc["threshold"].get<double>() >= 1) {
      return fail(Errc::config, "{}: threshold: expected a number between 0 and 1", file);
    }
    bank.threshold = doc["threshold"].get<double>();
  }
  for (const auto& w : TRY(strings(doc, "negations", file))) {
    for (const auto& word : split_words(w)) {
      bank.negations.insert(word);
    }
  }
  for (const auto& w : TRY(strings(doc, "flips", file))) {
    for (const auto& word : split_words(w)) {
      bank.flips.insert(word);
    }
  }
  for (const auto& w : TRY(strings(doc, "stopwords", file))) {
    for (const auto& word : split_words(w)) {
      bank.stopwords.insert(word);
    }
  }
  if (doc.contains("synonyms")) {
    if (!doc["synonyms"].is_object()) {
      return fail(Errc::config, "{}: synonyms: expected a mapping of canonical words to lists of variants", file);
    }
    for (const auto& [canonical, variants] : doc["synonyms"].items()) {
      for (const auto& v : TRY(strings(doc["synonyms"], canonical.c_str(), file + ": synonyms"))) {
        bank.synonyms.emplace_back(joined(split_words(v)), joined(split_words(canonical)));
      }
      (void)variants;
    }
    // Longest variants first, so that "multi factor authentication" wins over "authentication".
    std::stable_sort(bank.synonyms.begin(), bank.synonyms.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  for (const auto& [id, k] : doc["keys"].items()) {
    const std::string where = fmt::format("{}: keys.{}", file, id);
    if (!k.is_object()) {
      return fail(Errc::config, "{}: expected a mapping", where);
    }
    AnswerKey key;
    key.id = id;
    key.topic = k.value("topic", "General");
    key.explanation = k.value("explanation", "");
    key.review = k.value("review", "");
    key.partial = k.value("partial", false);
    if (k.contains("answer")) {
      if (k["answer"] != "Not applicable") {
        return fail(Errc::config, "{}.answer: only \"Not applicable\" can be fixed", where);
      }
      key.fixed = "Not applicable";
    }
    if (k.contains("needs")) {
      if (!k["needs"].is_array()) {
        return fail(Errc::config, "{}.needs: expected a list", where);
      }
      for (const auto& n : k["needs"]) {
        Requirement req;
        if (!n.is_object() || (!n.contains("check") && !n.contains("profile")) ||
            (n.contains("check") && !n["check"].is_string()) || (n.contains("profile") && !n["profile"].is_string()) ||
            (n.contains("field") && (!n["field"].is_string() || !n.contains("profile"))) ||
            (n.contains("expect") && !n["expect"].is_boolean())) {
          return fail(Errc::config,
                      "{}.needs: each item needs check (a check id) or profile (a dotted path), optionally field "
                      "(with profile) and expect (true or false)",
                      where);
        }
        req.check = n.value("check", "");
        req.profile = n.value("profile", "");
        req.field = n.value("field", "");
        req.expect = n.value("expect", true);
        key.needs.push_back(req);
      }
    }
    key.all_of = TRY(strings(k, "all_of", where));
    for (const auto& text : TRY(strings(k, "ask", where))) {
      bank.phrasings.push_back({id, text, false});
    }
    for (const auto& text : TRY(strings(k, "ask_reversed", where))) {
      bank.phrasings.push_back({id, text, true});
    }
    bank.keys.emplace(id, std::move(key));
  }
  std::set<std::string> phrased;
  for (const auto& p : bank.phrasings) {
    phrased.insert(p.key);
  }
  for (const auto& [id, key] : bank.keys) {
    for (const auto& part : key.all_of) {
      if (!bank.keys.contains(part) || !bank.keys.at(part).all_of.empty()) {
        return fail(Errc::config, "{}: keys.{}.all_of: \"{}\" is not a simple key of the bank", file, id, part);
      }
    }
    if (!phrased.contains(id)) {
      return fail(Errc::config, "{}: keys.{}: no phrasings (ask or ask_reversed)", file, id);
    }
  }
  return bank;
}

} // namespace complycli::questionnaire
