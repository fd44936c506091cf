// PostgreSQL: postgresql.conf (the last value of each setting wins; PostgreSQL 15 defaults for the
// settings checks read) and pg_hba.conf (one row per rule).

#include "evidence/loaders.hpp"

#include "util/file.hpp"

#include <algorithm>
#include <map>
#include <sstream>

namespace complycli::evidence {

namespace fs = std::filesystem;

namespace {

const std::pair<const char*, const char*> postgres_defaults[] = {
    {"ssl", "off"},
    {"ssl_min_protocol_version", "TLSv1.2"},
    {"password_encryption", "scram-sha-256"},
    {"log_connections", "off"},
    {"log_disconnections", "off"},
    {"listen_addresses", "localhost"},
};

std::string trim(const std::string& text)
{
  const auto a = text.find_first_not_of(" \t\r");
  if (a == std::string::npos) {
    return "";
  }
  const auto b = text.find_last_not_of(" \t\r");
  return text.substr(a, b - a + 1);
}

} // namespace

Result<void> load_postgres(LoadState& state, const fs::path& file)
{
  const std::string name = file.string();
  const auto text = TRY(read_text(state, file, "postgres"));
  if (!text) {
    return {};
  }
  struct Setting {
    std::string value;
    int line;
  };
  std::map<std::string, Setting> settings;
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    // Strip a comment that is not inside quotes.
    bool quoted = false;
    std::string content;
    for (const char c : line) {
      if (c == '\'') {
        quoted = !quoted;
      }
      if (c == '#' && !quoted) {
        break;
      }
      content += c;
    }
    content = trim(content);
    if (content.empty()) {
      continue;
    }
    auto end = content.find_first_of(" \t=");
    std::string key = content.substr(0, end);
    std::string rest = end == std::string::npos ? "" : trim(content.substr(end));
    if (!rest.empty() && rest[0] == '=') {
      rest = trim(rest.substr(1));
    }
    const bool key_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
    if (!key_ok || rest.empty() || quoted) {
      return add_error(state, name, number, "postgres",
                       quoted ? "unterminated quoted string" : fmt::format("syntax error near \"{}\"", content));
    }
    if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') {
      rest = rest.substr(1, rest.size() - 2);
    }
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    settings[key] = Setting{rest, number};
  }
  TRY_VOID(add_input(state, name, "postgres"));
  for (const auto& [key, setting] : settings) {
    TRY_VOID(state.db.insert("postgres_settings", {name, int64_t{setting.line}, key, setting.value, int64_t{0}}));
  }
  for (const auto& [key, value] : postgres_defaults) {
    if (!settings.count(key)) {
      TRY_VOID(state.db.insert("postgres_settings", {name, Value{}, std::string(key), std::string(value), int64_t{1}}));
    }
  }
  return {};
}

Result<void> load_pg_hba(LoadState& state, const fs::path& file)
{
  const std::string name = file.string();
  const auto text = TRY(read_text(state, file, "pg_hba"));
  if (!text) {
    return {};
  }
  struct Rule {
    std::vector<std::string> fields;
    int line;
  };
  std::vector<Rule> rules;
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    std::istringstream words(line.substr(0, hash));
    std::vector<std::string> fields;
    std::string word;
    while (words >> word) {
      fields.push_back(word);
    }
    if (fields.empty()) {
      continue;
    }
    const std::string& type = fields[0];
    const bool local = type == "local";
    const bool host = type == "host" || type == "hostssl" || type == "hostnossl" || type == "hostgssenc" ||
                      type == "hostnogssenc";
    const std::size_t needed = local ? 4 : 5;
    if ((!local && !host) || fields.size() < needed) {
      return add_error(state, name, number, "pg_hba", fmt::format("invalid rule \"{}\"", trim(line)));
    }
    rules.push_back(Rule{fields, number});
  }
  TRY_VOID(add_input(state, name, "pg_hba"));
  for (const auto& rule : rules) {
    const auto& f = rule.fields;
    const bool local = f[0] == "local";
    std::string address = local ? "" : f[3];
    std::size_t method_index = local ? 3 : 4;
    // An IP address followed by a separate netmask.
    if (!local && f.size() > 5 && f[4].find('.') != std::string::npos && f[4].find('=') == std::string::npos &&
        std::isdigit(static_cast<unsigned char>(f[4][0]))) {
      address += " " + f[4];
      method_index = 5;
    }
    TRY_VOID(state.db.insert("pg_hba", {name, int64_t{rule.line}, f[0], f[1], f[2], address, f[method_index]}));
  }
  return {};
}

} // namespace complycli::evidence
