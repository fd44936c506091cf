#include "yaml/node.hpp"

#include "util/utf8.hpp"

#include <fmt/format.h>

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace complycli::yaml {

namespace {

// Parser events of the documents of a file; remembers where the second document's first node is.
class SecondDocument : public YAML::EventHandler {
public:
  std::optional<YAML::Mark> start;

  void OnDocumentStart(const YAML::Mark&) override { ++m_documents; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override
  {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
  {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
  {
    node(mark);
  }
  void OnMapEnd() override {}

private:
  void node(const YAML::Mark& mark)
  {
    if (m_documents == 2 && !start) {
      start = mark;
    }
  }
  int m_documents = 0;
};

// yaml-cpp (0.7) stops a document nested more than a few hundred levels deep with YAML::DeepRecursion,
// whose message is "bad file".
std::string readable(const std::string& msg)
{
  return msg == "bad file" ? "nested too deeply (expected at most a few hundred levels of lists and mappings)" : msg;
}

// Whether `text` may be UTF-16 or UTF-32, which yaml-cpp recognises by its first bytes (a byte-order
// mark, or a NUL in the first two); other YAML must be UTF-8.
bool may_be_wide(std::string_view text)
{
  return text.size() >= 2 && (text[0] == '\0' || text[1] == '\0' || text.starts_with("\xFF\xFE") ||
                              text.starts_with("\xFE\xFF"));
}

bool is_core_tag(const std::string& tag)
{
  return tag == "tag:yaml.org,2002:null" || tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int" ||
         tag == "tag:yaml.org,2002:float";
}

struct Duplicate {
  std::string key;
  int first_line = 0;
  YAML::Mark mark; // of the second
};

// The first key given twice in `node` or below it. At most `budget` nodes are visited: aliases repeat
// what they name, and an alias bomb would not end.
std::optional<Duplicate> first_duplicate(const YAML::Node& node, int depth, std::size_t& budget)
{
  if (depth > 200 || budget == 0) {
    return std::nullopt;
  }
  --budget;
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (auto found = first_duplicate(item, depth + 1, budget)) {
        return found;
      }
    }
  } else if (node.IsMap()) {
    std::map<std::string, int> seen; // key -> 1-based line
    for (const auto& item : node) {
      if (item.first.IsScalar()) {
        if (const auto [it, added] = seen.emplace(item.first.Scalar(), item.first.Mark().line + 1); !added) {
          return Duplicate{it->first, it->second, item.first.Mark()};
        }
      }
      if (auto found = first_duplicate(item.second, depth + 1, budget)) {
        return found;
      }
    }
  }
  return std::nullopt;
}

} // namespace

Result<YAML::Node> load_node(const std::string& text, const std::string& name, std::string_view prefix,
                             DuplicateKeys duplicates)
{
  if (!may_be_wide(text)) {
    if (const auto problem = util::text_problem(text)) {
      return fail(Errc::parse, "{}:{}:{}: {}{}", name, problem->line, problem->column, prefix, problem->message);
    }
  }
  // Not YAML::LoadAll: on some malformed inputs yaml-cpp 0.7's parser reports empty documents without
  // end, and LoadAll never returns (found by fuzzing). Load the first document, then ask the parser
  // for at most two.
  YAML::Node document;
  std::optional<YAML::Mark> second;
  try {
    document = YAML::Load(text);
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    SecondDocument finder;
    if (parser.HandleNextDocument(finder) && parser.HandleNextDocument(finder)) {
      second = finder.start.value_or(YAML::Mark());
    }
  } catch (const YAML::Exception& e) {
    return fail(Errc::parse, "{}:{}:{}: {}{}", name, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1,
                prefix, readable(e.msg));
  }
  if (second) {
    return fail(Errc::parse, "{}:{}:{}: {}a second document starts here (expected one document per file)", name,
                std::max(second->line, 0) + 1, std::max(second->column, 0) + 1, prefix);
  }
  if (duplicates == DuplicateKeys::reject) {
    std::size_t budget = std::max<std::size_t>(4 * text.size(), 100'000);
    if (const auto found = first_duplicate(document, 0, budget)) {
      const std::string_view whole = found->key;
      const std::string key = whole.size() > 40 ? fmt::format("{}...", whole.substr(0, 37)) : found->key;
      return fail(Errc::parse, "{}:{}:{}: {}duplicate key \"{}\" (already given on line {}; expected each key once)", name,
                  found->mark.line + 1, found->mark.column + 1, prefix, key, found->first_line);
    }
  }
  return document;
}

Type scalar_type(const YAML::Node& scalar)
{
  const std::string& tag = scalar.Tag();
  if (tag == "?" || is_core_tag(tag)) {
    return plain_type(scalar.Scalar());
  }
  return Type::string; // "!" (quoted), !!str, a local tag such as !Ref
}

} // namespace complycli::yaml
