// OpenSSH sshd_config: the effective value of each option (sshd takes the first value it reads),
// Match blocks with their criteria (`Match all` ends them; a Match inside an included file ends with
// it), `Include` followed (relative paths in the folder of sshd_config), OpenSSH 9 defaults for options
// not set; drop-in folders that no sshd_config includes are judged as fragments, without defaults.

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

// OpenSSH 9.x defaults (sshd_config(5)) of the options checks look at, lower-case names.
const std::pair<const char*, const char*> openssh_defaults[] = {
    {"permitrootlogin", "prohibit-password"},
    {"passwordauthentication", "yes"},
    {"kbdinteractiveauthentication", "yes"},
    {"pubkeyauthentication", "yes"},
    {"permitemptypasswords", "no"},
    {"maxauthtries", "6"},
    {"logingracetime", "120"},
    {"x11forwarding", "no"},
    {"allowtcpforwarding", "yes"},
    {"allowagentforwarding", "yes"},
    {"permituserenvironment", "no"},
    {"clientaliveinterval", "0"},
    {"clientalivecountmax", "3"},
    {"loglevel", "INFO"},
    {"usepam", "no"},
    {"hostbasedauthentication", "no"},
    {"ignorerhosts", "yes"},
    {"strictmodes", "yes"},
    {"port", "22"},
    {"ciphers", "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
                "aes256-gcm@openssh.com"},
    {"macs", "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
             "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"
             "hmac-sha2-256,hmac-sha2-512,hmac-sha1"},
};

struct Row {
  std::string file;
  int line;
  std::string match;
  std::string name;
  std::string value;
};

std::vector<std::string> split_words(const std::string& line)
{
  std::vector<std::string> words;
  std::string word;
  bool quoted = false;
  bool any = false;
  for (const char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t' || (c == '=' && words.empty()))) {
      if (any) {
        words.push_back(word);
      }
      word.clear();
      any = false;
    } else {
      word += c;
      any = true;
    }
  }
  if (any) {
    words.push_back(word);
  }
  return words;
}

// One line of the stream sshd reads (includes expanded), or an include that could not be read.
struct Item {
  Row row;
  std::string unresolved; // set for an unreadable include (row.match is its scope)
};

// How deep Includes are followed. sshd allows 16 (servconf.c SERVCONF_MAX_DEPTH) and treats more as
// fatal; 8 keeps a glob that includes itself from being read 2^16 times. Deeper is "nested too deeply".
constexpr int max_include_depth = 8;

struct Reader {
  LoadState& state;
  fs::path base;                    // where relative Include paths are: the folder of sshd_config (/etc/ssh)
  std::set<std::string>* included;  // every file read through an Include

  // Read `file` in Match scope `match`; a Match inside it ends with it (the scope is restored after
  // an Include). False after an error row.
  Result<bool> read(const fs::path& file, std::string match, std::vector<Item>& items, int depth)
  {
    const std::string name = file.string();
    const auto text = TRY(read_text(state, file, "sshd"));
    if (!text) {
      return false;
    }
    std::istringstream in(*text);
    std::string line;
    int number = 0;
    std::vector<Item> local;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      const auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') {
        continue;
      }
      auto words = split_words(line.substr(first));
      if (words.empty()) {
        continue;
      }
      std::string keyword = words[0];
      std::transform(keyword.begin(), keyword.end(), keyword.begin(), ::tolower);
      if (words.size() < 2) {
        TRY_VOID(add_error(state, name, number, "sshd", fmt::format("{}: missing argument", words[0])));
        return false;
      }
      std::vector<std::string> args(words.begin() + 1, words.end());
      std::string value;
      for (const auto& a : args) {
        value += (value.empty() ? "" : " ") + a;
      }
      if (keyword == "match") {
        std::string criteria = value;
        std::transform(criteria.begin(), criteria.end(), criteria.begin(), ::tolower);
        match = criteria == "all" ? "" : value; // `Match all` returns to options that apply to everyone
        continue;
      }
      if (keyword == "include") {
        for (const auto& spec : args) {
          TRY_VOID(include(name, number, spec, match, local, depth));
        }
        continue;
      }
      local.push_back(Item{Row{name, number, match, keyword, value}, {}});
    }
    TRY_VOID(add_input(state, name, "sshd"));
    items.insert(items.end(), local.begin(), local.end());
    return true;
  }

  // sshd_config(5): an Include path without a leading / is in /etc/ssh (`base`); a glob is expanded in
  // glob(3) order. A drop-in that does not parse stops the include (its error row says why).
  Result<void> include(const std::string& from, int line, const std::string& spec, const std::string& match,
                       std::vector<Item>& items, int depth)
  {
    IncludeRequest request{from, line, "sshd", spec, base,
                           has_wildcard(spec) ? IncludeRequest::Form::glob : IncludeRequest::Form::file,
                           false, depth, max_include_depth, false};
    const auto followed = TRY(follow_include(state, request, *included, [&](const fs::path& file, int next) {
      return read(file, match, items, next);
    }));
    if (!followed.unresolved.empty()) {
      items.push_back(Item{Row{from, line, match, "include", spec}, followed.unresolved});
    }
    return {};
  }
};

// Insert the effective options of `items`: the first value of each option per Match scope, with
// OpenSSH's defaults for options not set when `defaults` (a whole sshd_config, not fragments). A value
// that an unreadable include before it could have set first is unknown, as is a default.
Result<void> insert_options(LoadState& state, const std::string& file, const std::vector<Item>& items, bool defaults)
{
  std::set<std::pair<std::string, std::string>> seen;
  std::string global_unresolved;
  std::map<std::string, std::string> match_unresolved;
  for (const auto& item : items) {
    const auto& row = item.row;
    if (!item.unresolved.empty()) {
      auto& slot = row.match.empty() ? global_unresolved : match_unresolved[row.match];
      if (slot.empty()) {
        slot = item.unresolved;
      }
      continue;
    }
    if (!seen.insert({row.match, row.name}).second) {
      continue;
    }
    std::string unresolved = row.match.empty() ? global_unresolved : match_unresolved[row.match];
    TRY_VOID(state.db.insert("sshd_options", {row.file, int64_t{row.line}, row.match, row.name, row.value, int64_t{0},
                                              unresolved.empty() ? Value{} : Value{unresolved}}));
  }
  if (!defaults) {
    return {};
  }
  for (const auto& [name, value] : openssh_defaults) {
    if (!seen.count({"", name})) {
      TRY_VOID(state.db.insert("sshd_options", {file, Value{}, std::string(), std::string(name), std::string(value),
                                                int64_t{1}, global_unresolved.empty() ? Value{} : Value{global_unresolved}}));
    }
  }
  return {};
}

bool in_folder(const fs::path& file, const fs::path& folder)
{
  const auto rel = file.lexically_relative(folder);
  return !rel.empty() && *rel.begin() != "..";
}

} // namespace

Result<void> load_sshd(LoadState& state, const std::vector<fs::path>& candidates)
{
  std::set<std::string> included;
  // Entry points (sshd_config, and whole configs under other names) first: what they include is read
  // through them only.
  std::vector<fs::path> entries;
  std::vector<fs::path> fragments;
  for (const auto& file : candidates) {
    const auto folder = file.parent_path().filename().string();
    const bool fragment = folder.size() > 2 && folder.compare(folder.size() - 2, 2, ".d") == 0;
    (fragment ? fragments : entries).push_back(file);
  }
  for (const auto& file : entries) {
    if (included.count(file.string())) {
      continue;
    }
    Reader reader{state, file.parent_path(), &included};
    std::vector<Item> items;
    if (TRY(reader.read(file, "", items, 0))) {
      TRY_VOID(insert_options(state, file.string(), items, true));
    }
  }
  // Drop-ins no sshd_config includes: not loaded when an sshd_config sits above them; otherwise
  // judged as fragments, one folder at a time in glob order (as `Include FOLDER/*.conf` reads them),
  // with no defaults: another fragment or the main file may set what one leaves out.
  std::map<fs::path, std::vector<fs::path>> groups;
  for (const auto& file : fragments) {
    if (included.count(file.string())) {
      continue;
    }
    const auto main = std::find_if(entries.begin(), entries.end(), [&](const fs::path& e) {
      return e.filename() == "sshd_config" && in_folder(file, e.parent_path());
    });
    if (main != entries.end()) {
      TRY_VOID(add_not_loaded(state, file.string(), "sshd", fmt::format("not included from {}", main->string())));
      continue;
    }
    groups[file.parent_path()].push_back(file);
  }
  for (auto& [folder, files] : groups) {
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });
    Reader reader{state, folder.parent_path(), &included};
    std::vector<Item> items;
    for (const auto& file : files) {
      if (!TRY(reader.read(file, "", items, 0))) {
        items.clear();
        break;
      }
    }
    TRY_VOID(insert_options(state, folder.string(), items, false));
  }
  return {};
}

} // namespace complycli::evidence
