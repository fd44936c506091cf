// nginx configuration: directives with their block path, `include` followed as nginx does (relative
// to its prefix, the folder of nginx.conf; globs in glob(3) order), and the effective settings of each
// `server` (its own directives, else the ones inherited from `http`). Files no nginx.conf reaches are
// reported as not loaded; includes that cannot be read make what they might set unknown.

#include "evidence/layout.hpp"
#include "evidence/loaders.hpp"
#include "util/file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <utility>

namespace complycli::evidence {

namespace fs = std::filesystem;

namespace {

struct Node {
  std::string name;
  std::vector<std::string> args;
  std::string file;
  int line = 0;
  bool block = false;
  std::vector<Node> children;
};

struct ParseError {
  int line;
  std::string message;
};

class Tokenizer {
public:
  explicit Tokenizer(const std::string& text) : m_text(text) {}

  // Next token; "" at the end. Quoted words come back with `quoted` set.
  std::string next(bool& quoted, int& line)
  {
    quoted = false;
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos];
      if (c == '\n') {
        ++m_line;
        ++m_pos;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++m_pos;
      } else if (c == '#') {
        while (m_pos < m_text.size() && m_text[m_pos] != '\n') {
          ++m_pos;
        }
      } else {
        break;
      }
    }
    line = m_line;
    if (m_pos >= m_text.size()) {
      return "";
    }
    const char c = m_text[m_pos];
    if (c == '{' || c == '}' || c == ';') {
      ++m_pos;
      return std::string(1, c);
    }
    std::string word;
    if (c == '"' || c == '\'') {
      quoted = true;
      ++m_pos;
      while (m_pos < m_text.size() && m_text[m_pos] != c) {
        if (m_text[m_pos] == '\\' && m_pos + 1 < m_text.size()) {
          ++m_pos;
        }
        if (m_text[m_pos] == '\n') {
          ++m_line;
        }
        word += m_text[m_pos++];
      }
      if (m_pos >= m_text.size()) {
        m_unterminated = true;
        return word;
      }
      ++m_pos;
      return word;
    }
    while (m_pos < m_text.size()) {
      const char d = m_text[m_pos];
      if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '{' || d == '}') {
        // `${var}` inside a word is not a block.
        if (d == '{' && !word.empty() && word.back() == '$') {
          while (m_pos < m_text.size() && m_text[m_pos] != '}') {
            word += m_text[m_pos++];
          }
          if (m_pos < m_text.size()) {
            word += m_text[m_pos++];
          }
          continue;
        }
        break;
      }
      word += d;
      ++m_pos;
    }
    return word;
  }

  bool unterminated() const { return m_unterminated; }

  // After the `{` of a block whose body is not nginx syntax (`content_by_lua_block { ... }`): move past
  // its matching `}`, counting braces outside Lua strings ("..", '..', [[..]], [==[..]==]) and comments
  // (-- to the end of the line, --[[..]]), as nginx's lua module does. False at the end of the text.
  bool skip_foreign_block()
  {
    int depth = 1;
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos];
      if (c == '\n') {
        ++m_line;
        ++m_pos;
      } else if (c == '"' || c == '\'') {
        ++m_pos;
        while (m_pos < m_text.size() && m_text[m_pos] != c && m_text[m_pos] != '\n') {
          m_pos += m_text[m_pos] == '\\' && m_pos + 1 < m_text.size() ? 2 : 1;
        }
        if (m_pos < m_text.size() && m_text[m_pos] == c) {
          ++m_pos;
        }
      } else if (c == '[' && long_bracket_level() >= 0) {
        skip_long_bracket();
      } else if (c == '-' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '-') {
        m_pos += 2;
        if (m_pos < m_text.size() && m_text[m_pos] == '[' && long_bracket_level() >= 0) {
          skip_long_bracket();
        } else {
          while (m_pos < m_text.size() && m_text[m_pos] != '\n') {
            ++m_pos;
          }
        }
      } else {
        if (c == '{') {
          ++depth;
        } else if (c == '}' && --depth == 0) {
          ++m_pos;
          return true;
        }
        ++m_pos;
      }
    }
    return false;
  }

private:
  // At `[`: the level of a Lua long bracket opening here ([[ is 0, [==[ is 2), else -1.
  int long_bracket_level() const
  {
    std::size_t p = m_pos + 1;
    int level = 0;
    while (p < m_text.size() && m_text[p] == '=') {
      ++level;
      ++p;
    }
    return p < m_text.size() && m_text[p] == '[' ? level : -1;
  }

  void skip_long_bracket()
  {
    const int level = long_bracket_level();
    const std::string close = "]" + std::string(static_cast<std::size_t>(level), '=') + "]";
    const auto end = m_text.find(close, m_pos);
    const auto stop = end == std::string::npos ? m_text.size() : end + close.size();
    m_line += static_cast<int>(std::count(m_text.begin() + static_cast<std::ptrdiff_t>(m_pos),
                                          m_text.begin() + static_cast<std::ptrdiff_t>(stop), '\n'));
    m_pos = stop;
  }

  const std::string& m_text;
  std::size_t m_pos = 0;
  int m_line = 1;
  bool m_unterminated = false;
};

constexpr std::size_t max_block_depth = 100;

// Blocks whose body is code in another language: lua-nginx-module's `*_by_lua_block`
// (content_by_lua_block, ssl_certificate_by_lua_block, ...) and stream-lua's.
bool is_foreign_block(const std::string& name)
{
  const std::string_view suffix = "_by_lua_block";
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Parse a whole file into a tree; on error return the line and message.
std::variant<std::vector<Node>, ParseError> parse(const std::string& text, const std::string& file)
{
  Tokenizer tokens(text);
  std::vector<std::vector<Node>> stack(1);
  std::vector<int> open_lines;
  Node current;
  bool have_current = false;
  while (true) {
    bool quoted = false;
    int line = 0;
    std::string token = tokens.next(quoted, line);
    if (tokens.unterminated()) {
      return ParseError{line, "unterminated quoted string"};
    }
    if (token.empty() && !quoted) {
      if (have_current) {
        return ParseError{current.line, fmt::format("unexpected end of file, expecting \";\" or \"}}\" after \"{}\"", current.name)};
      }
      if (stack.size() > 1) {
        return ParseError{open_lines.back(), "unexpected end of file, expecting \"}\""};
      }
      return std::move(stack.front());
    }
    if (!quoted && token == ";") {
      if (!have_current) {
        return ParseError{line, "unexpected \";\""};
      }
      stack.back().push_back(std::move(current));
      current = Node{};
      have_current = false;
    } else if (!quoted && token == "{") {
      if (!have_current) {
        return ParseError{line, "unexpected \"{\""};
      }
      // Real configurations nest a few levels; the tree is walked (and freed) recursively.
      if (stack.size() > max_block_depth) {
        return ParseError{line, fmt::format("blocks nested more than {} deep (expected at most {})", max_block_depth,
                                            max_block_depth)};
      }
      current.block = true;
      if (is_foreign_block(current.name)) {
        // The body is Lua (or another language), not directives: kept as an empty block.
        if (!tokens.skip_foreign_block()) {
          return ParseError{current.line, fmt::format("unexpected end of file in \"{}\" block, expecting \"}}\"", current.name)};
        }
        stack.back().push_back(std::move(current));
        current = Node{};
        have_current = false;
        continue;
      }
      stack.back().push_back(std::move(current));
      current = Node{};
      have_current = false;
      stack.emplace_back();
      open_lines.push_back(line);
    } else if (!quoted && token == "}") {
      if (have_current) {
        return ParseError{line, fmt::format("unexpected \"}}\", expecting \";\" after \"{}\"", current.name)};
      }
      if (stack.size() == 1) {
        return ParseError{line, "unexpected \"}\""};
      }
      auto children = std::move(stack.back());
      stack.pop_back();
      open_lines.pop_back();
      stack.back().back().children = std::move(children);
    } else if (!have_current) {
      current = Node{token, {}, file, line, false, {}};
      have_current = true;
    } else {
      current.args.push_back(token);
    }
  }
}

std::string join(const std::vector<std::string>& words, const char* separator = " ")
{
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) {
      out += separator;
    }
    out += w;
  }
  return out;
}

struct Server {
  int64_t id;
  const Node* node;
  std::vector<const Node*> own; // direct directives, includes expanded
  std::string unresolved;       // the first include of the server that could not be read
};

struct Resolved {
  std::vector<fs::path> files;
  std::string unresolved; // why the include could not be read ("" when it could)
};

bool path_exists(const fs::path& path)
{
  std::error_code ec;
  return fs::exists(path, ec);
}

class Walker {
public:
  explicit Walker(LoadState& state) : m_state(state) {}

  // Relative includes are resolved against `prefix`: nginx's prefix, the folder of nginx.conf, when
  // `entry` (as nginx does); for a file reached from no nginx.conf, the nearest folder from `prefix` up
  // (within the checked tree) where the included path exists.
  void set_prefix(const fs::path& prefix, bool entry)
  {
    m_prefix = prefix;
    m_entry = entry;
  }

  // Parse `file` once; nullptr (and an error row) when it does not parse.
  Result<const std::vector<Node>*> tree(const fs::path& file)
  {
    const std::string key = file.string();
    if (auto it = m_cache.find(key); it != m_cache.end()) {
      return it->second.get();
    }
    m_cache[key] = nullptr;
    const auto text = TRY(read_text(m_state, file, "nginx"));
    if (!text) {
      return nullptr;
    }
    auto parsed = parse(*text, key);
    if (auto* error = std::get_if<ParseError>(&parsed)) {
      TRY_VOID(add_error(m_state, key, error->line, "nginx", error->message));
      return nullptr;
    }
    TRY_VOID(add_input(m_state, key, "nginx"));
    m_cache[key] = std::make_unique<std::vector<Node>>(std::move(std::get<std::vector<Node>>(parsed)));
    return m_cache[key].get();
  }

  // The files an include directive names, in glob(3) order. A glob that matches nothing names no file
  // (nginx accepts it). A plain path that is not there, or an absolute path outside the checked tree,
  // is an unresolved include: what it sets is unknown.
  Result<Resolved> resolve_include(const Node& node)
  {
    Resolved out;
    if (node.args.empty()) {
      return out;
    }
    const std::string& spec = node.args[0];
    fs::path pattern;
    if (fs::path(spec).is_absolute()) {
      auto placed = place_absolute(m_state, spec, fs::path(node.file).parent_path());
      if (!placed) {
        out.unresolved = TRY(add_unresolved(m_state, node.file, node.line, "nginx", spec,
                                            "not in the checked tree (check a copy of the server's files with --root DIR)"));
        return out;
      }
      pattern = *placed;
    } else {
      pattern = (m_prefix / spec).lexically_normal();
      if (!m_entry) {
        for (fs::path folder = m_prefix; !folder.empty() && in_scanned_tree(m_state, folder); folder = folder.parent_path()) {
          const auto candidate = (folder / spec).lexically_normal();
          if (has_wildcard(spec) ? !expand_glob(candidate).empty() : path_exists(candidate)) {
            pattern = candidate;
            break;
          }
          if (folder == folder.parent_path()) {
            break;
          }
        }
      }
    }
    if (!has_wildcard(spec)) {
      if (!path_exists(pattern)) {
        out.unresolved = TRY(add_unresolved(m_state, node.file, node.line, "nginx", spec,
                                            fmt::format("no file {}", pattern.string())));
        return out;
      }
      out.files.push_back(pattern);
      return out;
    }
    out.files = expand_glob(pattern);
    return out;
  }

  // Every file that some parsed file includes (for finding the roots among walked files).
  Result<void> collect_includes(const std::vector<Node>& nodes, std::set<std::string>& included, int depth)
  {
    if (depth > 16) {
      return {};
    }
    for (const auto& node : nodes) {
      if (node.name == "include" && !node.block) {
        for (const auto& file : TRY(resolve_include(node)).files) {
          if (included.insert(file.string()).second) {
            if (const auto* sub = TRY(tree(file))) {
              TRY_VOID(collect_includes(*sub, included, depth + 1));
            }
          }
        }
      }
      TRY_VOID(collect_includes(node.children, included, depth));
    }
    return {};
  }

  // Walk a root file: its top level is `main`, or `http` when it holds no http block (a snippet).
  Result<void> walk_root(const std::vector<Node>& nodes)
  {
    m_vars.clear();
    const bool has_http = std::any_of(nodes.begin(), nodes.end(), [](const Node& n) { return n.name == "http"; });
    if (has_http) {
      return walk(nodes, "main", "main", 0, nullptr, nullptr, 0);
    }
    std::vector<const Node*> http_scope;
    std::vector<Server> servers;
    std::string unresolved;
    TRY_VOID(walk(nodes, "http", "http", 0, &http_scope, &servers, 0, nullptr, &unresolved));
    return finish_http(http_scope, servers, unresolved);
  }

private:
  // Walk `nodes` inside `context`. `http_scope`/`servers` collect the http block's directives and its
  // servers; `server` is the id of the enclosing server (0 outside one); `own` collects its directives;
  // `unresolved` keeps the first include of this http or server scope that could not be read.
  Result<void> walk(const std::vector<Node>& nodes, const std::string& context, const std::string& block,
                    int64_t server, std::vector<const Node*>* http_scope, std::vector<Server>* servers,
                    int depth, std::vector<const Node*>* own = nullptr, std::string* unresolved = nullptr)
  {
    if (depth > 16) {
      return {};
    }
    for (const auto& node : nodes) {
      TRY_VOID(m_state.db.insert("nginx_directives",
                                 {node.file, int64_t{node.line}, context, block,
                                  server ? Value{server} : Value{}, node.name,
                                  nlohmann::json(node.args).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), join(node.args)}));
      if (node.name == "include" && !node.block) {
        const auto resolved = TRY(resolve_include(node));
        if (!resolved.unresolved.empty() && unresolved && unresolved->empty()) {
          *unresolved = resolved.unresolved;
        }
        for (const auto& file : resolved.files) {
          if (const auto* sub = TRY(tree(file))) {
            TRY_VOID(walk(*sub, context, block, server, http_scope, servers, depth + 1, own, unresolved));
          }
        }
        continue;
      }
      if (node.name == "set" && !node.block && node.args.size() >= 2) {
        m_vars[variable_name(node.args[0])].insert(node.args[1]);
      }
      if (!node.block) {
        if (own) {
          own->push_back(&node);
        } else if (http_scope && block == "http") {
          http_scope->push_back(&node);
        }
        continue;
      }
      if (node.name == "map" && node.args.size() >= 2) {
        record_map(node);
      }
      if (node.name == "http") {
        std::vector<const Node*> scope;
        std::vector<Server> http_servers;
        std::string http_unresolved;
        TRY_VOID(walk(node.children, context + " > http", "http", 0, &scope, &http_servers, depth, nullptr, &http_unresolved));
        TRY_VOID(finish_http(scope, http_servers, http_unresolved));
      } else if (node.name == "server" && block == "http" && servers) {
        Server entry{m_state.next_server++, &node, {}, {}};
        std::string label = context + " > server";
        TRY_VOID(walk(node.children, label, "server", entry.id, nullptr, nullptr, depth, &entry.own, &entry.unresolved));
        servers->push_back(std::move(entry));
      } else {
        std::string label = context + " > " + node.name;
        if (!node.args.empty()) {
          label += " " + join(node.args);
        }
        TRY_VOID(walk(node.children, label, node.name, server, nullptr, nullptr, depth));
      }
    }
    return {};
  }

  static std::string variable_name(std::string text)
  {
    if (!text.empty() && text[0] == '$') {
      text.erase(0, 1);
    }
    if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
      text = text.substr(1, text.size() - 2);
    }
    return text;
  }

  // `map $source $variable { default A; key B; ... }`: every value the variable can take ("" when
  // there is no default: an unmatched source gives an empty value).
  void record_map(const Node& node)
  {
    auto& values = m_vars[variable_name(node.args[1])];
    bool has_default = false;
    for (const auto& entry : node.children) {
      if (entry.name == "hostnames" || entry.name == "volatile" || entry.name == "include") {
        continue;
      }
      has_default = has_default || entry.name == "default";
      values.insert(entry.args.empty() ? std::string() : entry.args[0]);
    }
    if (!has_default) {
      values.insert("");
    }
  }

  // Every value `text` can have once the `map`/`set` variables in it are replaced (at most 64).
  std::vector<std::string> expand_variables(const std::string& text) const
  {
    std::vector<std::string> out{""};
    std::size_t i = 0;
    while (i < text.size()) {
      if (text[i] != '$') {
        for (auto& o : out) {
          o += text[i];
        }
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      std::string name;
      if (j < text.size() && text[j] == '{') {
        const auto close = text.find('}', j);
        name = text.substr(j + 1, close == std::string::npos ? std::string::npos : close - j - 1);
        j = close == std::string::npos ? text.size() : close + 1;
      } else {
        while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) {
          name += text[j++];
        }
      }
      const auto it = m_vars.find(name);
      if (name.empty() || it == m_vars.end()) {
        for (auto& o : out) {
          o += text.substr(i, j - i);
        }
      } else {
        std::vector<std::string> next;
        for (const auto& o : out) {
          for (const auto& v : it->second) {
            if (next.size() < 64) {
              next.push_back(o + v);
            }
          }
        }
        out = std::move(next);
      }
      i = j;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  static const Node* last(const std::vector<const Node*>& nodes, const std::string& name)
  {
    const Node* found = nullptr;
    for (const auto* n : nodes) {
      if (n->name == name) {
        found = n;
      }
    }
    return found;
  }

  Result<void> finish_http(const std::vector<const Node*>& http_scope, const std::vector<Server>& servers,
                           const std::string& http_unresolved)
  {
    bool any_tls = false;
    for (const auto& server : servers) {
      std::string name = "_";
      std::vector<std::string> listens;
      for (const auto* n : server.own) {
        if (n->name == "server_name" && !n->args.empty() && name == "_") {
          name = n->args[0];
        }
        if (n->name == "listen") {
          listens.push_back(join(n->args));
        }
      }
      // Effective directives: the server's own, else every http-level one of that name.
      std::vector<std::pair<const Node*, bool>> effective;
      std::set<std::string> own_names;
      for (const auto* n : server.own) {
        own_names.insert(n->name);
        effective.emplace_back(n, false);
      }
      for (const auto* n : http_scope) {
        if (!own_names.count(n->name)) {
          effective.emplace_back(n, true);
        }
      }
      bool ssl = false;
      for (const auto* n : server.own) {
        if (n->name == "listen" && std::find(n->args.begin(), n->args.end(), "ssl") != n->args.end()) {
          ssl = true;
        }
      }
      std::vector<const Node*> effective_nodes;
      for (const auto& [n, inherited] : effective) {
        effective_nodes.push_back(n);
        if (n->name == "ssl" && !n->args.empty() && n->args[0] == "on") {
          ssl = true;
        }
        TRY_VOID(m_state.db.insert("nginx_server_settings",
                                   {server.id, name, n->name, nlohmann::json(n->args).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), join(n->args),
                                    int64_t{inherited ? 1 : 0}, n->file, int64_t{n->line}}));
      }
      const std::string resource = "server " + name;
      TRY_VOID(m_state.db.insert("nginx_servers", {server.id, name, join(listens, "; "), int64_t{ssl ? 1 : 0},
                                                   server.node->file, int64_t{server.node->line}}));
      if (!ssl) {
        continue;
      }
      any_tls = true;
      // TLS: ssl_protocols (default before nginx 1.23.4: TLSv1 TLSv1.1 TLSv1.2 TLSv1.3) and ssl_ciphers
      // (default HIGH:!aNULL:!MD5).
      const Node* protocols = last(effective_nodes, "ssl_protocols");
      const Node* ciphers = last(effective_nodes, "ssl_ciphers");
      // A setting the server does not make itself may come from an include that could not be read
      // (nginx refuses the same directive twice in one block, so the server's own value is certain).
      auto unresolved_for = [&](const Node* setting) -> std::string {
        const bool own = setting && own_names.count(setting->name);
        if (own) {
          return "";
        }
        if (!server.unresolved.empty()) {
          return server.unresolved;
        }
        return setting ? "" : http_unresolved;
      };
      std::string unresolved = unresolved_for(protocols);
      if (unresolved.empty()) {
        unresolved = unresolved_for(ciphers);
      }
      TRY_VOID(insert_tls(resource, protocols, ciphers, server.node->file, server.node->line, unresolved));
      const int64_t endpoint = m_state.next_endpoint++;
      TRY_VOID(m_state.db.insert("http_endpoints", {endpoint, resource, std::string("nginx"), Value{},
                                                    server.node->file, int64_t{server.node->line}}));
      for (const auto* n : effective_nodes) {
        if (n->name == "add_header" && n->args.size() >= 2) {
          std::string header = n->args[0];
          std::transform(header.begin(), header.end(), header.begin(), ::tolower);
          // A header whose value uses map/set variables: one row per value it can take, so that it
          // passes only when every value does. nginx adds no header whose value is empty
          // (ngx_http_add_header: `if (value->len)`), so an empty value is a response without it.
          for (const auto& value : expand_variables(n->args[1])) {
            if (value.empty()) {
              continue;
            }
            TRY_VOID(m_state.db.insert("http_headers", {endpoint, header, value, n->file, int64_t{n->line}}));
          }
        }
      }
    }
    // TLS settings made at http level are inherited by every TLS server, those of included files and
    // those added later: with no TLS server here, they are reported where they are set.
    if (!any_tls) {
      const Node* protocols = last(http_scope, "ssl_protocols");
      const Node* ciphers = last(http_scope, "ssl_ciphers");
      if (protocols || ciphers) {
        const Node* at = protocols ? protocols : ciphers;
        TRY_VOID(insert_tls("http (inherited by every TLS server)", protocols, ciphers, at->file, at->line, ""));
      }
    }
    return {};
  }

  Result<void> insert_tls(const std::string& resource, const Node* protocols, const Node* ciphers, const std::string& file,
                          int line, const std::string& unresolved)
  {
    const std::string protocol_text = protocols ? join(protocols->args) : "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3";
    const std::string cipher_text = ciphers ? join(ciphers->args) : "HIGH:!aNULL:!MD5";
    return m_state.db.insert(
        "tls_endpoints",
        {resource, std::string("nginx"), protocol_text, cipher_text, weak_ciphers(cipher_text),
         protocols ? Value{int64_t{protocols->line}} : Value{}, ciphers ? Value{int64_t{ciphers->line}} : Value{},
         protocols ? protocols->file : file, int64_t{protocols ? protocols->line : line},
         unresolved.empty() ? Value{} : Value{unresolved}});
  }

  LoadState& m_state;
  std::map<std::string, std::unique_ptr<std::vector<Node>>> m_cache;
  fs::path m_prefix;
  bool m_entry = false;
  std::map<std::string, std::set<std::string>> m_vars; // map/set variable -> every value it can take
};

bool in_folder(const fs::path& file, const fs::path& folder)
{
  const auto rel = file.lexically_relative(folder);
  return !rel.empty() && *rel.begin() != "..";
}

} // namespace

Result<void> load_nginx(LoadState& state, const std::vector<fs::path>& candidates)
{
  Walker walker(state);
  std::set<std::string> included;
  // Entry points: nginx.conf, whose folder is nginx's prefix for relative includes.
  std::vector<fs::path> entries;
  for (const auto& file : candidates) {
    if (file.filename() == "nginx.conf") {
      entries.push_back(file);
    }
  }
  for (const auto& entry : entries) {
    walker.set_prefix(entry.parent_path(), true);
    if (const auto* nodes = TRY(walker.tree(entry))) {
      TRY_VOID(walker.collect_includes(*nodes, included, 0));
    }
  }
  // Other files: not loaded when an nginx.conf of the same tree does not reach them, or when they sit
  // in sites-available/ beside a sites-enabled/ (Debian's layout: only enabled sites are loaded).
  std::vector<fs::path> roots;
  for (const auto& file : candidates) {
    if (file.filename() == "nginx.conf" || included.count(file.string())) {
      continue;
    }
    const auto governing = std::find_if(entries.begin(), entries.end(),
                                        [&](const fs::path& e) { return in_folder(file, e.parent_path()); });
    if (governing != entries.end()) {
      TRY_VOID(add_not_loaded(state, file.string(), "nginx",
                              fmt::format("not included from {} (nginx loads only what it includes)", governing->string())));
      continue;
    }
    std::error_code ec;
    if (file.parent_path().filename() == "sites-available" &&
        fs::is_directory(file.parent_path().parent_path() / "sites-enabled", ec)) {
      TRY_VOID(add_not_loaded(state, file.string(), "nginx", "in sites-available/, not enabled in sites-enabled/"));
      continue;
    }
    roots.push_back(file);
  }
  for (const auto& file : roots) {
    walker.set_prefix(file.parent_path(), false);
    if (const auto* nodes = TRY(walker.tree(file))) {
      TRY_VOID(walker.collect_includes(*nodes, included, 0));
    }
  }
  for (const auto& entry : entries) {
    if (included.count(entry.string())) {
      continue;
    }
    walker.set_prefix(entry.parent_path(), true);
    if (const auto* nodes = TRY(walker.tree(entry))) {
      TRY_VOID(walker.walk_root(*nodes));
    }
  }
  for (const auto& file : roots) {
    if (included.count(file.string())) {
      continue;
    }
    walker.set_prefix(file.parent_path(), false);
    if (const auto* nodes = TRY(walker.tree(file))) {
      TRY_VOID(walker.walk_root(*nodes));
    }
  }
  return {};
}

std::string weak_ciphers(const std::string& cipher_string)
{
  static const char* const weak[] = {"RC4", "DES", "CBC3", "MD5", "NULL", "EXPORT", "EXP-", "ADH", "AECDH",
                                     "ANON", "SEED", "IDEA", "LOW", "RC2", "SSLV3", "PSK-RC4"};
  std::vector<std::string> found;
  std::string token;
  auto flush = [&] {
    if (!token.empty() && token[0] != '!' && token[0] != '-') {
      std::string upper = token;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      for (const char* w : weak) {
        if (upper.find(w) != std::string::npos) {
          found.push_back(token);
          break;
        }
      }
    }
    token.clear();
  };
  for (const char c : cipher_string) {
    if (c == ':' || c == ' ' || c == ',' || c == '"' || c == '\'') {
      flush();
    } else {
      token += c;
    }
  }
  flush();
  return join(found, ":");
}

} // namespace complycli::evidence
