// PostgreSQL: postgresql.conf with include, include_if_exists and include_dir followed and
// postgresql.auto.conf read last (the last value of each setting wins; PostgreSQL 15 defaults for the
// settings checks read), and pg_hba.conf (one row per rule, includes followed).

#include "evidence/layout.hpp"
#include "evidence/loaders.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <map>
#include <set>
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

struct Item {
  std::string file;
  int line;
  std::string key;        // lower case
  std::string value;      // quotes removed
  std::string unresolved; // set for an include that could not be read
};

bool in_folder(const fs::path& file, const fs::path& folder)
{
  const auto rel = file.lexically_relative(folder);
  return !rel.empty() && *rel.begin() != "..";
}

// Where an include of `from` points: relative to the including file's folder, an absolute path placed
// in the checked tree; nullopt when it cannot be placed.
std::optional<fs::path> include_target(LoadState& state, const std::string& from, const std::string& spec)
{
  fs::path path = spec;
  if (path.is_absolute()) {
    return place_absolute(state, path, fs::path(from).parent_path());
  }
  return (fs::path(from).parent_path() / path).lexically_normal();
}

struct Reader {
  LoadState& state;
  std::set<std::string>* included;

  // Read `file` into `items` in the order PostgreSQL reads it, includes expanded. False after an
  // error row.
  Result<bool> read(const fs::path& file, std::vector<Item>& items, int depth)
  {
    const std::string name = file.string();
    const auto text = TRY(read_text(state, file, "postgres"));
    if (!text) {
      return false;
    }
    std::vector<Item> local;
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
        TRY_VOID(add_error(state, name, number, "postgres",
                           quoted ? "unterminated quoted string" : fmt::format("syntax error near \"{}\"", content)));
        return false;
      }
      if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') {
        rest = rest.substr(1, rest.size() - 2);
      }
      std::transform(key.begin(), key.end(), key.begin(), ::tolower);
      if (key == "include" || key == "include_if_exists" || key == "include_dir") {
        TRY_VOID(include(name, number, key, rest, local, depth));
        continue;
      }
      local.push_back(Item{name, number, key, rest, {}});
    }
    TRY_VOID(add_input(state, name, "postgres"));
    items.insert(items.end(), local.begin(), local.end());
    return true;
  }

  Result<void> include(const std::string& from, int line, const std::string& key, const std::string& spec,
                       std::vector<Item>& items, int depth)
  {
    IncludeRequest request{from, line, "postgres", spec, fs::path(from).parent_path(),
                           key == "include_dir" ? IncludeRequest::Form::folder : IncludeRequest::Form::file,
                           key == "include_if_exists", depth};
    const auto followed = TRY(follow_include(state, request, *included, [&](const fs::path& file, int next) {
      return read(file, items, next);
    }));
    if (!followed.unresolved.empty()) {
      items.push_back(Item{from, line, "include", spec, followed.unresolved});
    }
    return {};
  }
};

// Insert the effective settings: the last value of each wins. A value set before an include that
// could not be read may be overridden by it, and so may a default: those are unknown.
Result<void> insert_settings(LoadState& state, const std::string& file, const std::vector<Item>& items, bool defaults)
{
  struct Setting {
    const Item* item;
    std::string unresolved;
  };
  std::map<std::string, Setting> settings;
  std::string first_unresolved;
  for (const auto& item : items) {
    if (!item.unresolved.empty()) {
      for (auto& [key, setting] : settings) {
        if (setting.unresolved.empty()) {
          setting.unresolved = item.unresolved;
        }
      }
      if (first_unresolved.empty()) {
        first_unresolved = item.unresolved;
      }
      continue;
    }
    settings[item.key] = Setting{&item, {}};
  }
  for (const auto& [key, setting] : settings) {
    TRY_VOID(state.db.insert("postgres_settings", {setting.item->file, int64_t{setting.item->line}, key, setting.item->value,
                                                   int64_t{0}, setting.unresolved.empty() ? Value{} : Value{setting.unresolved}}));
  }
  if (!defaults) {
    return {};
  }
  for (const auto& [key, value] : postgres_defaults) {
    if (!settings.count(key)) {
      TRY_VOID(state.db.insert("postgres_settings", {file, Value{}, std::string(key), std::string(value), int64_t{1},
                                                     first_unresolved.empty() ? Value{} : Value{first_unresolved}}));
    }
  }
  return {};
}

} // namespace

Result<void> load_postgres(LoadState& state, const std::vector<fs::path>& candidates)
{
  std::set<std::string> included;
  std::vector<fs::path> entries;
  for (const auto& file : candidates) {
    if (file.filename() == "postgresql.conf") {
      entries.push_back(file);
    }
  }
  std::set<std::string> autos; // postgresql.auto.conf files read after an entry
  for (const auto& entry : entries) {
    Reader reader{state, &included};
    std::vector<Item> items;
    if (!TRY(reader.read(entry, items, 0))) {
      continue;
    }
    // postgresql.auto.conf (ALTER SYSTEM) is read last, from the data directory: data_directory when
    // set (and found in the checked tree), else beside postgresql.conf.
    fs::path data = entry.parent_path();
    for (const auto& item : items) {
      if (item.key == "data_directory" && item.unresolved.empty()) {
        if (auto placed = include_target(state, item.file, item.value)) {
          std::error_code ec;
          if (fs::is_directory(*placed, ec)) {
            data = *placed;
          }
        }
      }
    }
    const auto auto_conf = (data / "postgresql.auto.conf").lexically_normal();
    std::error_code ec;
    if (fs::exists(auto_conf, ec)) {
      autos.insert(auto_conf.string());
      included.insert(auto_conf.string());
      if (!TRY(reader.read(auto_conf, items, 1))) {
        continue;
      }
    }
    TRY_VOID(insert_settings(state, entry.string(), items, true));
  }
  for (const auto& file : candidates) {
    if (file.filename() == "postgresql.conf" || included.count(file.string())) {
      continue;
    }
    const auto main = std::find_if(entries.begin(), entries.end(),
                                   [&](const fs::path& e) { return in_folder(file, e.parent_path()); });
    if (main != entries.end() && file.filename() != "postgresql.auto.conf") {
      TRY_VOID(add_not_loaded(state, file.string(), "postgres", fmt::format("not included from {}", main->string())));
      continue;
    }
    // A fragment (a conf.d file, or postgresql.auto.conf alone): its own settings, no defaults.
    Reader reader{state, &included};
    std::vector<Item> items;
    if (TRY(reader.read(file, items, 0))) {
      TRY_VOID(insert_settings(state, file.string(), items, false));
    }
  }
  return {};
}

namespace {

// pg_hba.conf fields: blanks separate them, double quotes keep blanks (and keywords) inside one, `#`
// outside quotes starts a comment.
std::vector<std::string> hba_fields(const std::string& line)
{
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (const char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
      field += c;
    } else if (!quoted && c == '#') {
      break;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\r')) {
      if (any) {
        fields.push_back(field);
      }
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any) {
    fields.push_back(field);
  }
  return fields;
}

// PostgreSQL's limit on nested configuration includes (guc.h CONF_FILE_MAX_DEPTH, used by hba.c too).
constexpr int max_hba_depth = 10;

struct HbaReader {
  LoadState& state;
  std::set<std::string>* included;
  std::vector<std::vector<Value>> rows; // the pg_hba rows read so far, inserted once the whole file is read
  bool too_deep = false;                // an include went past max_hba_depth: the file is refused

  // Read a pg_hba file's rules in order, `include`, `include_if_exists` and `include_dir`
  // (PostgreSQL 16) expanded, lines ending in `\` joined. False after an error row.
  Result<bool> read(const fs::path& file, int depth)
  {
    const std::string name = file.string();
    const auto text = TRY(read_text(state, file, "pg_hba"));
    if (!text) {
      return false;
    }
    struct Rule {
      std::vector<std::string> fields;
      int line;
    };
    std::vector<Rule> rules;
    std::istringstream in(*text);
    std::string line;
    std::string pending;
    int number = 0;
    int start = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (pending.empty()) {
        start = number;
      }
      if (!line.empty() && line.back() == '\\' && line.find('#') == std::string::npos) {
        pending += line.substr(0, line.size() - 1) + " ";
        continue;
      }
      const auto fields = hba_fields(pending + line);
      pending.clear();
      if (fields.empty()) {
        continue;
      }
      rules.push_back(Rule{fields, start});
    }
    // Check every rule before inserting any: a file with a bad rule is not loaded (PostgreSQL refuses it).
    for (const auto& rule : rules) {
      const auto& f = rule.fields;
      const std::string& type = f[0];
      const bool include = type == "include" || type == "include_if_exists" || type == "include_dir";
      const bool local = type == "local";
      const bool host = type == "host" || type == "hostssl" || type == "hostnossl" || type == "hostgssenc" ||
                        type == "hostnogssenc";
      const std::size_t needed = include ? 2 : local ? 4 : 5;
      if ((!local && !host && !include) || f.size() < needed) {
        std::string text_line;
        for (const auto& w : f) {
          text_line += (text_line.empty() ? "" : " ") + w;
        }
        TRY_VOID(add_error(state, name, rule.line, "pg_hba", fmt::format("invalid rule \"{}\"", text_line)));
        return false;
      }
    }
    TRY_VOID(add_input(state, name, "pg_hba"));
    for (const auto& rule : rules) {
      if (too_deep) {
        return true; // nothing more is read: the whole file is refused
      }
      const auto& f = rule.fields;
      if (f[0] == "include" || f[0] == "include_if_exists" || f[0] == "include_dir") {
        TRY_VOID(include(name, rule.line, f[0], unquote(f[1]), depth));
        continue;
      }
      const bool local = f[0] == "local";
      std::string address = local ? "" : f[3];
      std::size_t method_index = local ? 3 : 4;
      // An IP address followed by a separate netmask.
      if (!local && f.size() > 5 && f[4].find('.') != std::string::npos && f[4].find('=') == std::string::npos &&
          std::isdigit(static_cast<unsigned char>(f[4][0]))) {
        address += " " + f[4];
        method_index = 5;
      }
      rows.push_back({name, int64_t{rule.line}, f[0], f[1], f[2], address, f[method_index], Value{}});
    }
    return true;
  }

  static std::string unquote(const std::string& text)
  {
    return text.size() >= 2 && text.front() == '"' && text.back() == '"' ? text.substr(1, text.size() - 2) : text;
  }

  // An include whose rules cannot be read is a row of type `include` with the reason in `unresolved`:
  // the rules it holds, and so what happens to a connection, are unknown. Includes nested deeper than
  // PostgreSQL allows make it refuse the whole file (hba.c: "maximum nesting depth exceeded"): one
  // error row, and none of the rules read so far.
  Result<void> include(const std::string& from, int line, const std::string& key, const std::string& spec, int depth)
  {
    if (depth >= max_hba_depth) {
      too_deep = true;
      return add_error(state, from, line, "pg_hba",
                       fmt::format("include \"{}\" is nested more than {} deep (an include loop?): PostgreSQL refuses "
                                   "the file (expected at most {} levels of include)",
                                   spec, max_hba_depth, max_hba_depth));
    }
    IncludeRequest request{from, line, "pg_hba", spec, fs::path(from).parent_path(),
                           key == "include_dir" ? IncludeRequest::Form::folder : IncludeRequest::Form::file,
                           key == "include_if_exists", depth};
    const auto followed = TRY(follow_include(state, request, *included, [&](const fs::path& file, int next) {
      return read(file, next);
    }));
    if (!followed.unresolved.empty() && !too_deep) {
      rows.push_back({from, int64_t{line}, std::string("include"), std::string(), std::string(), spec, std::string(),
                      followed.unresolved});
    }
    return {};
  }
};

} // namespace

Result<void> load_pg_hba(LoadState& state, const std::vector<fs::path>& candidates)
{
  std::set<std::string> included;
  for (const auto& file : candidates) {
    if (included.count(file.string())) {
      continue;
    }
    HbaReader reader{state, &included, {}, false};
    TRY_VOID(reader.read(file, 0));
    if (reader.too_deep) {
      continue;
    }
    for (auto& row : reader.rows) {
      TRY_VOID(state.db.insert("pg_hba", std::move(row)));
    }
  }
  return {};
}

} // namespace complycli::evidence
