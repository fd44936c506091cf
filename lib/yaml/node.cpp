#include "yaml/node.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <vector>

namespace complycli::yaml {

namespace {

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

} // namespace

Result<YAML::Node> load_node(const std::string& text, const std::string& name, std::string_view prefix)
{
  if (!may_be_wide(text)) {
    if (const auto problem = util::text_problem(text)) {
      return fail(Errc::parse, "{}:{}:{}: {}{}", name, problem->line, problem->column, prefix, problem->message);
    }
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return fail(Errc::parse, "{}:{}:{}: {}{}", name, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1,
                prefix, readable(e.msg));
  }
  if (documents.size() > 1) {
    const auto mark = documents[1].Mark();
    return fail(Errc::parse, "{}:{}:{}: {}a second document starts here (expected one document per file)", name,
                std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1, prefix);
  }
  return documents.empty() ? YAML::Node(YAML::NodeType::Null) : documents.front();
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
