#pragma once

// yaml-cpp's exception messages, made readable where they are not.

#include <string>
#include <string_view>

namespace complycli::util {

// yaml-cpp (0.7) stops a document nested more than a few hundred levels deep with YAML::DeepRecursion,
// whose message is "bad file".
inline std::string yaml_message(const std::string& msg)
{
  return msg == "bad file" ? "nested too deeply (expected at most a few hundred levels of lists and mappings)" : msg;
}

// Whether YAML `text` may be UTF-16 or UTF-32, which yaml-cpp recognises by its first bytes (a
// byte-order mark, or a NUL in the first two); other YAML must be UTF-8.
inline bool yaml_may_be_wide(std::string_view text)
{
  return text.size() >= 2 && (text[0] == '\0' || text[1] == '\0' || text.starts_with("\xFF\xFE") ||
                              text.starts_with("\xFE\xFF"));
}

} // namespace complycli::util
