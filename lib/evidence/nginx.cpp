// nginx configuration: directives with their block path, `include` followed (globs relative to the
// including file), and the effective settings of each `server` (its own directives, else the ones
// inherited from `http`).

#include "evidence/loaders.hpp"

#include "util/file.hpp"

#include <nlohmann/json.hpp>

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
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

private:
  const std::string& m_text;
  std::size_t m_pos = 0;
  int m_line = 1;
  bool m_unterminated = false;
};

constexpr std::size_t max_block_depth = 100;

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

struct Directive {
  const Node* node;
};

struct Server {
  int64_t id;
  const Node* node;
  std::vector<const Node*> own; // direct directives, includes expanded
};

class Walker {
public:
  explicit Walker(LoadState& state) : m_state(state) {}

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

  // The files an include directive in `from` names, sorted. A glob that matches nothing names no file
  // (nginx accepts it); a plain path that does not exist is an error row at the include (nginx refuses
  // to start: "open() ... failed").
  Result<std::vector<fs::path>> resolve_include(const Node& node)
  {
    std::vector<fs::path> out;
    if (node.args.empty()) {
      return out;
    }
    fs::path pattern = node.args[0];
    if (pattern.is_relative()) {
      pattern = fs::path(node.file).parent_path() / pattern;
    }
    if (node.args[0].find_first_of("*?[") == std::string::npos) {
      struct stat st {};
      if (::stat(pattern.c_str(), &st) != 0) {
        const int error = errno;
        if (m_missing_reported.insert({node.file, node.line}).second) {
          TRY_VOID(add_error(m_state, node.file, node.line, "nginx",
                             fmt::format("include \"{}\": cannot open {}: {}", node.args[0],
                                         pattern.lexically_normal().string(), std::strerror(error))));
        }
        return out;
      }
    }
    glob_t matches{};
    if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
        out.emplace_back(fs::path(matches.gl_pathv[i]).lexically_normal());
      }
    }
    ::globfree(&matches);
    std::sort(out.begin(), out.end());
    return out;
  }

  // Every file that some parsed file includes (for finding the roots among walked files).
  Result<void> collect_includes(const std::vector<Node>& nodes, std::set<std::string>& included, int depth)
  {
    if (depth > 16) {
      return {};
    }
    for (const auto& node : nodes) {
      if (node.name == "include") {
        for (const auto& file : TRY(resolve_include(node))) {
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
    const bool has_http = std::any_of(nodes.begin(), nodes.end(), [](const Node& n) { return n.name == "http"; });
    if (has_http) {
      return walk(nodes, "main", "main", 0, nullptr, nullptr, 0);
    }
    std::vector<const Node*> http_scope;
    std::vector<Server> servers;
    TRY_VOID(walk(nodes, "http", "http", 0, &http_scope, &servers, 0));
    return finish_http(http_scope, servers);
  }

private:
  // Walk `nodes` inside `context`. `http_scope`/`servers` collect the http block's directives and its
  // servers; `server` is the id of the enclosing server (0 outside one); `own` collects its directives.
  Result<void> walk(const std::vector<Node>& nodes, const std::string& context, const std::string& block,
                    int64_t server, std::vector<const Node*>* http_scope, std::vector<Server>* servers,
                    int depth, std::vector<const Node*>* own = nullptr)
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
        for (const auto& file : TRY(resolve_include(node))) {
          if (const auto* sub = TRY(tree(file))) {
            TRY_VOID(walk(*sub, context, block, server, http_scope, servers, depth + 1, own));
          }
        }
        continue;
      }
      if (!node.block) {
        if (own) {
          own->push_back(&node);
        } else if (http_scope && block == "http") {
          http_scope->push_back(&node);
        }
        continue;
      }
      if (node.name == "http") {
        std::vector<const Node*> scope;
        std::vector<Server> http_servers;
        TRY_VOID(walk(node.children, context + " > http", "http", 0, &scope, &http_servers, depth));
        TRY_VOID(finish_http(scope, http_servers));
      } else if (node.name == "server" && block == "http" && servers) {
        Server entry{m_state.next_server++, &node, {}};
        std::string label = context + " > server";
        TRY_VOID(walk(node.children, label, "server", entry.id, nullptr, nullptr, depth, &entry.own));
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

  Result<void> finish_http(const std::vector<const Node*>& http_scope, const std::vector<Server>& servers)
  {
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
      // TLS: ssl_protocols (default before nginx 1.23.4: TLSv1 TLSv1.1 TLSv1.2 TLSv1.3) and ssl_ciphers
      // (default HIGH:!aNULL:!MD5).
      const Node* protocols = last(effective_nodes, "ssl_protocols");
      const Node* ciphers = last(effective_nodes, "ssl_ciphers");
      const std::string protocol_text = protocols ? join(protocols->args) : "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3";
      const std::string cipher_text = ciphers ? join(ciphers->args) : "HIGH:!aNULL:!MD5";
      TRY_VOID(m_state.db.insert(
          "tls_endpoints",
          {resource, std::string("nginx"), protocol_text, cipher_text, weak_ciphers(cipher_text),
           protocols ? Value{int64_t{protocols->line}} : Value{}, ciphers ? Value{int64_t{ciphers->line}} : Value{},
           protocols ? protocols->file : server.node->file,
           int64_t{protocols ? protocols->line : server.node->line}}));
      const int64_t endpoint = m_state.next_endpoint++;
      TRY_VOID(m_state.db.insert("http_endpoints", {endpoint, resource, std::string("nginx"), Value{},
                                                    server.node->file, int64_t{server.node->line}}));
      for (const auto* n : effective_nodes) {
        if (n->name == "add_header" && n->args.size() >= 2) {
          std::string header = n->args[0];
          std::transform(header.begin(), header.end(), header.begin(), ::tolower);
          TRY_VOID(m_state.db.insert("http_headers", {endpoint, header, n->args[1], n->file, int64_t{n->line}}));
        }
      }
    }
    return {};
  }

  LoadState& m_state;
  std::map<std::string, std::unique_ptr<std::vector<Node>>> m_cache;
  std::set<std::pair<std::string, int>> m_missing_reported; // includes of a missing file already reported
};

} // namespace

Result<void> load_nginx(LoadState& state, const std::vector<fs::path>& candidates)
{
  Walker walker(state);
  std::set<std::string> included;
  for (const auto& file : candidates) {
    if (const auto* nodes = TRY(walker.tree(file))) {
      TRY_VOID(walker.collect_includes(*nodes, included, 0));
    }
  }
  for (const auto& file : candidates) {
    if (included.count(file.string())) {
      continue;
    }
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
