// Browser rules for security headers (see http_rules.hpp). Everything here follows the specifications'
// parsing steps: Fetch ("get, decode, and split"), Referrer Policy section 8.1, and CSP Level 3
// sections 2.2 (parsing) and 6.7.3.3 ("does a source list allow all inline behavior for type").

#include "evidence/http_rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace complycli::evidence {

namespace {

bool equals_icase(std::string_view a, std::string_view b)
{
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool starts_with_icase(std::string_view text, std::string_view prefix)
{
  return text.size() >= prefix.size() && equals_icase(text.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view text, std::string_view whitespace)
{
  const auto first = text.find_first_not_of(whitespace);
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(whitespace);
  return text.substr(first, last - first + 1);
}

// HTTP tab or space (Fetch), and ASCII whitespace (Infra: tab, LF, FF, CR, space).
constexpr std::string_view http_tab_or_space = " \t";
constexpr std::string_view ascii_whitespace = " \t\n\f\r";

// Fetch's "split": comma-separated values, each trimmed of HTTP tab or space; a comma inside a quoted
// string does not split.
std::vector<std::string_view> split_values(std::string_view value)
{
  std::vector<std::string_view> values;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size() && value[i] == '"') {
      quoted = !quoted;
    } else if (i < value.size() && quoted && value[i] == '\\') {
      ++i;
    } else if (i == value.size() || (!quoted && value[i] == ',')) {
      values.push_back(trim(value.substr(start, i - start), http_tab_or_space));
      start = i + 1;
    }
  }
  return values;
}

std::vector<std::string_view> split_on(std::string_view text, char separator)
{
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::vector<std::string_view> tokens(std::string_view text)
{
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && ascii_whitespace.find(text[i]) != std::string_view::npos) {
      ++i;
    }
    const auto start = i;
    while (i < text.size() && ascii_whitespace.find(text[i]) == std::string_view::npos) {
      ++i;
    }
    if (i > start) {
      out.push_back(text.substr(start, i - start));
    }
  }
  return out;
}

// One policy of a CSP list: whether its script directive allows inline scripts.
bool policy_allows_inline_script(std::string_view policy)
{
  // CSP3 2.2.1: directives are separated by ';'; a directive name seen a second time is ignored.
  constexpr std::array<std::string_view, 3> fallback{"script-src-elem", "script-src", "default-src"};
  std::array<std::optional<std::vector<std::string_view>>, 3> lists;
  std::vector<std::string> seen;
  for (const auto directive : split_on(policy, ';')) {
    const auto words = tokens(directive);
    if (words.empty()) {
      continue;
    }
    std::string name(words[0]);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      continue;
    }
    seen.push_back(name);
    for (std::size_t i = 0; i < fallback.size(); ++i) {
      if (name == fallback[i]) {
        lists[i] = std::vector<std::string_view>(words.begin() + 1, words.end());
      }
    }
  }
  const auto governing = std::find_if(lists.begin(), lists.end(), [](const auto& list) { return list.has_value(); });
  if (governing == lists.end()) {
    return true; // nothing restricts scripts
  }
  bool unsafe_inline = false;
  bool overridden = false;
  for (const auto source : **governing) {
    if (equals_icase(source, "'unsafe-inline'")) {
      unsafe_inline = true;
    } else if (starts_with_icase(source, "'nonce-") || starts_with_icase(source, "'sha256-") ||
               starts_with_icase(source, "'sha384-") || starts_with_icase(source, "'sha512-") ||
               equals_icase(source, "'strict-dynamic'")) {
      overridden = true;
    }
  }
  return unsafe_inline && !overridden;
}

void sql_text_argument(sqlite3_value* argument, std::string_view& out, bool& null)
{
  null = sqlite3_value_type(argument) == SQLITE_NULL;
  if (!null) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argument));
    out = text ? std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argument))) : std::string_view{};
  }
}

void sql_nosniff(sqlite3_context* context, int, sqlite3_value** argv)
{
  std::string_view value;
  bool null = false;
  sql_text_argument(argv[0], value, null);
  if (null) {
    sqlite3_result_null(context);
  } else {
    sqlite3_result_int(context, nosniff(value) ? 1 : 0);
  }
}

void sql_referrer_policy(sqlite3_context* context, int, sqlite3_value** argv)
{
  std::string_view value;
  bool null = false;
  sql_text_argument(argv[0], value, null);
  const auto policy = null ? std::nullopt : referrer_policy(value);
  if (!policy) {
    sqlite3_result_null(context);
  } else {
    sqlite3_result_text(context, policy->c_str(), static_cast<int>(policy->size()), SQLITE_TRANSIENT);
  }
}

void sql_csp_allows_inline_script(sqlite3_context* context, int, sqlite3_value** argv)
{
  std::string_view value;
  bool null = false;
  sql_text_argument(argv[0], value, null);
  if (null) {
    sqlite3_result_null(context);
  } else {
    sqlite3_result_int(context, csp_allows_inline_script(value) ? 1 : 0);
  }
}

} // namespace

bool nosniff(std::string_view value)
{
  const auto values = split_values(value);
  return !values.empty() && equals_icase(values.front(), "nosniff");
}

std::optional<std::string> referrer_policy(std::string_view value)
{
  constexpr std::array<std::string_view, 8> known{"no-referrer", "no-referrer-when-downgrade", "same-origin", "origin",
                                                  "strict-origin", "origin-when-cross-origin",
                                                  "strict-origin-when-cross-origin", "unsafe-url"};
  std::optional<std::string> policy;
  for (const auto token : split_values(value)) {
    for (const auto name : known) {
      if (equals_icase(token, name)) {
        policy = std::string(name);
      }
    }
  }
  return policy;
}

bool csp_allows_inline_script(std::string_view value)
{
  // CSP3 2.2.2 "parse a serialized CSP list": policies separated by commas; an empty one is skipped.
  for (const auto policy : split_on(value, ',')) {
    if (!tokens(policy).empty() && !policy_allows_inline_script(policy)) {
      return false;
    }
  }
  return true;
}

Result<void> register_http_functions(sqlite3* db)
{
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  struct Function {
    const char* name;
    void (*call)(sqlite3_context*, int, sqlite3_value**);
  };
  for (const auto& f : {Function{"nosniff", sql_nosniff}, Function{"referrer_policy", sql_referrer_policy},
                        Function{"csp_allows_inline_script", sql_csp_allows_inline_script}}) {
    if (sqlite3_create_function(db, f.name, 1, flags, nullptr, f.call, nullptr, nullptr) != SQLITE_OK) {
      return fail(Errc::internal, "cannot install the SQL function {}: {}", f.name, sqlite3_errmsg(db));
    }
  }
  return {};
}

} // namespace complycli::evidence
