// OpenSSH sshd_config: the effective value of each option (sshd takes the first value it reads),
// Match blocks with their criteria, `Include` followed, and OpenSSH 9 defaults for options not set.

#include "evidence/loaders.hpp"

#include "util/file.hpp"

#include <glob.h>

#include <algorithm>
#include <map>
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

Result<bool> read(LoadState& state, const fs::path& file, std::string& match, std::vector<Row>& rows, int depth)
{
  const std::string name = file.string();
  const auto text = TRY(read_text(state, file, "sshd"));
  if (!text) {
    return false;
  }
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  std::vector<Row> local;
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
      match = value;
      continue;
    }
    if (keyword == "include" && depth < 8) {
      for (const auto& pattern_text : args) {
        fs::path pattern = pattern_text;
        if (pattern.is_relative()) {
          pattern = file.parent_path() / pattern;
        }
        glob_t matches{};
        if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
          for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
            if (!TRY(read(state, fs::path(matches.gl_pathv[i]).lexically_normal(), match, local, depth + 1))) {
              return false;
            }
          }
        }
        ::globfree(&matches);
      }
      continue;
    }
    local.push_back(Row{name, number, match, keyword, value});
  }
  TRY_VOID(add_input(state, name, "sshd"));
  rows.insert(rows.end(), local.begin(), local.end());
  return true;
}

} // namespace

Result<void> load_sshd(LoadState& state, const fs::path& file)
{
  std::string match;
  std::vector<Row> rows;
  if (!TRY(read(state, file, match, rows, 0))) {
    return {};
  }
  // First value wins, per Match block (the global section is match "").
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& row : rows) {
    if (!seen.insert({row.match, row.name}).second) {
      continue;
    }
    TRY_VOID(state.db.insert("sshd_options", {row.file, int64_t{row.line}, row.match, row.name, row.value, int64_t{0}}));
  }
  for (const auto& [name, value] : openssh_defaults) {
    if (!seen.count({"", name})) {
      TRY_VOID(state.db.insert("sshd_options", {file.string(), Value{}, std::string(), std::string(name),
                                                std::string(value), int64_t{1}}));
    }
  }
  return {};
}

} // namespace complycli::evidence
