// Apache httpd / mod_ssl: directives with their <VirtualHost> context and enclosing <IfDefine>/<If...>
// conditions (an <IfModule> of a module that no LoadModule loaded is skipped, as httpd does),
// Include/IncludeOptional followed relative to ServerRoot (globs in order), Define/${VAR} substituted,
// and for each TLS virtual host its effective SSLProtocol, SSLCipherSuite and Header directives (the
// global ones apply too). A missing `Include` makes the TLS settings unknown.

#include "evidence/layout.hpp"
#include "evidence/loaders.hpp"
#include "util/file.hpp"
#include "util/utf8.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

namespace complycli::evidence {

namespace fs = std::filesystem;

namespace {

struct Directive {
  std::string file;
  int line;
  std::string vhost; // "" outside a VirtualHost, else its address (e.g. "*:443")
  std::string name;  // as written
  std::vector<std::string> args;
  std::string conditions; // the enclosing <IfModule>/<IfDefine>/... sections, `; `-separated
  std::string unresolved; // for an Include that could not be read: why
};

// How a configuration is being read: where relative paths are (ServerRoot), the variables `Define`d
// so far, the conditional sections open, and whether ServerRoot is known (an entry point) or guessed.
struct Context {
  LoadState* state = nullptr;
  fs::path server_root;
  bool entry = false;
  std::map<std::string, std::string> defines;
  std::vector<std::string> conditions;
  // The modules LoadModule has loaded so far, by identifier (ssl_module) and by source file name
  // (mod_ssl.c), lower case: what <IfModule> tests (httpd docs: IfModule).
  std::set<std::string> modules;
};

// Modules compiled into the httpd binary of Debian and Red Hat (`httpd -l`): present with no LoadModule.
bool builtin_module(const std::string& name)
{
  static const std::set<std::string> builtin = {
      "core.c",         "core_module",     "http_core.c",   "http_module",      "mod_so.c",       "so_module",
      "mod_watchdog.c", "watchdog_module", "mod_unixd.c",   "unixd_module",     "mod_version.c",  "version_module",
      "mod_log_config.c", "log_config_module", "mod_logio.c", "logio_module"};
  return builtin.count(name) > 0;
}

// `LoadModule ssl_module modules/mod_ssl.so`: the names <IfModule> knows the module by: its identifier
// and the source file it was compiled from (mod_ssl.c; prefork.c for mpm_prefork_module).
void record_module(Context& ctx, const std::vector<std::string>& args)
{
  auto id = args[0];
  std::transform(id.begin(), id.end(), id.begin(), ::tolower);
  ctx.modules.insert(id);
  const std::string_view suffix = "_module";
  if (id.size() > suffix.size() && id.compare(id.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const auto stem = id.substr(0, id.size() - suffix.size());
    ctx.modules.insert("mod_" + stem + ".c");
    if (stem.rfind("mpm_", 0) == 0) {
      ctx.modules.insert(stem.substr(4) + ".c");
    }
  }
  if (args.size() > 1) {
    auto so = fs::path(args[1]).filename().string();
    std::transform(so.begin(), so.end(), so.begin(), ::tolower);
    if (so.size() > 3 && so.compare(so.size() - 3, 3, ".so") == 0) {
      ctx.modules.insert(so.substr(0, so.size() - 3) + ".c");
    }
  }
}

// Whether `<IfModule ARG>` holds: nullopt when it cannot be known (a file read without its httpd.conf
// or apache2.conf, or a configuration that loads no module: a static build).
std::optional<bool> if_module(const Context& ctx, std::string arg)
{
  if (!ctx.entry || ctx.modules.empty() || arg.empty()) {
    return std::nullopt;
  }
  const bool negate = arg[0] == '!';
  if (negate) {
    arg.erase(0, 1);
  }
  std::transform(arg.begin(), arg.end(), arg.begin(), ::tolower);
  const bool loaded = builtin_module(arg) || ctx.modules.count(arg) > 0;
  return loaded != negate;
}

// `${NAME}` replaced by its Define; an undefined one is left as written (Apache warns and keeps it).
std::string substitute(const std::string& text, const std::map<std::string, std::string>& defines)
{
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "${") == 0) {
      const auto close = text.find('}', i + 2);
      if (close != std::string::npos) {
        const auto it = defines.find(text.substr(i + 2, close - i - 2));
        if (it != defines.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

std::string join_conditions(const std::vector<std::string>& conditions)
{
  std::string out;
  for (const auto& c : conditions) {
    out += (out.empty() ? "" : "; ") + c;
  }
  return out;
}

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

std::vector<std::string> words(const std::string& text)
{
  std::vector<std::string> out;
  std::string word;
  char quote = 0;
  bool any = false;
  for (const char c : text) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      any = true;
    } else if (c == ' ' || c == '\t') {
      if (any || !word.empty()) {
        out.push_back(word);
      }
      word.clear();
      any = false;
    } else {
      word += c;
    }
  }
  if (any || !word.empty()) {
    out.push_back(word);
  }
  return out;
}

struct ParseError {
  std::string file;
  int line;
  std::string message;
};

// Read `file` into `out`; sections other than VirtualHost are transparent (their directives keep the
// enclosing virtual host).
// `chain`: the files being read, outermost first (to find include loops).
bool read(const fs::path& file, std::string vhost, std::vector<Directive>& out, std::set<std::string>& files,
          ParseError& error, int depth, std::vector<std::string>& chain, Context& ctx)
{
  const std::string name = file.string();
  auto text = util::read_file(file);
  if (!text) {
    error = {name, 0, text.error().message};
    return false;
  }
  if (const auto problem = util::text_problem(*text)) {
    error = {name, problem->line, problem->message};
    return false;
  }
  files.insert(name);
  chain.push_back(name);
  struct Pop {
    std::vector<std::string>& names;
    ~Pop() { names.pop_back(); }
  } pop{chain};
  std::istringstream in(*text);
  std::string line;
  std::string pending;
  int number = 0;
  int start = 0;
  // Open sections, their lines, and whether each recorded a condition.
  struct Section {
    std::string name;
    int line;
    bool condition;
  };
  std::vector<Section> sections;
  // When inside an <IfModule> whose module is not loaded: the depth of `sections` where it opened
  // (Apache reads nothing inside it: no directive, no Include, no Define).
  std::size_t skipping = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (pending.empty()) {
      start = number;
    }
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    std::string full = pending + line;
    pending.clear();
    const auto first = full.find_first_not_of(" \t");
    if (first == std::string::npos || full[first] == '#') {
      continue;
    }
    full = full.substr(first);
    if (full[0] == '<') {
      const auto close = full.rfind('>');
      if (close == std::string::npos) {
        error = {name, start, "section tag without \">\""};
        return false;
      }
      const auto parts = words(full.substr(1, close - 1));
      if (parts.empty()) {
        error = {name, start, "empty section tag"};
        return false;
      }
      if (parts[0][0] == '/') {
        const std::string section = lower(parts[0].substr(1));
        if (sections.empty() || lower(sections.back().name) != section) {
          error = {name, start, fmt::format("</{}> without a matching <{}>", parts[0].substr(1), parts[0].substr(1))};
          return false;
        }
        if (skipping == 0 && section == "virtualhost") {
          vhost.clear();
        }
        if (sections.back().condition && !ctx.conditions.empty()) {
          ctx.conditions.pop_back();
        }
        sections.pop_back();
        if (sections.size() < skipping) {
          skipping = 0;
        }
        continue;
      }
      sections.push_back(Section{parts[0], start, false});
      if (skipping != 0) {
        continue;
      }
      if (lower(parts[0]) == "ifmodule" && parts.size() > 1) {
        if (const auto holds = if_module(ctx, substitute(parts[1], ctx.defines))) {
          if (!*holds) {
            skipping = sections.size();
          }
          continue; // evaluated: nothing to record
        }
      }
      if (lower(parts[0]).rfind("if", 0) == 0) {
        // <IfDefine>, <IfVersion>, <IfFile>, <If>, and <IfModule> when the loaded modules are not
        // known: recorded, not evaluated.
        std::string condition = parts[0];
        for (std::size_t i = 1; i < parts.size(); ++i) {
          condition += " " + substitute(parts[i], ctx.defines);
        }
        ctx.conditions.push_back(condition);
        sections.back().condition = true;
      }
      if (lower(parts[0]) == "virtualhost") {
        vhost = parts.size() > 1 ? parts[1] : "*";
        out.push_back(Directive{name, start, vhost, "<VirtualHost>", {parts.begin() + 1, parts.end()},
                               join_conditions(ctx.conditions), {}});
      }
      continue;
    }
    if (skipping != 0) {
      continue;
    }
    auto parts = words(full);
    Directive d{name, start, vhost, parts[0], {parts.begin() + 1, parts.end()}, join_conditions(ctx.conditions), {}};
    for (auto& a : d.args) {
      a = substitute(a, ctx.defines);
    }
    const auto key = lower(d.name);
    if (key == "define" && !d.args.empty()) {
      ctx.defines[d.args[0]] = d.args.size() > 1 ? d.args[1] : "";
    } else if (key == "loadmodule" && !d.args.empty()) {
      record_module(ctx, d.args);
    } else if (key == "undefine" && !d.args.empty()) {
      ctx.defines.erase(d.args[0]);
    } else if (key == "serverroot" && !d.args.empty() && ctx.entry) {
      fs::path root = d.args[0];
      std::optional<fs::path> placed = root.is_absolute() ? place_absolute(*ctx.state, root, file.parent_path())
                                                          : std::optional<fs::path>(root);
      std::error_code ec;
      if (placed && fs::is_directory(*placed, ec)) {
        ctx.server_root = *placed;
      }
    }
    if ((key == "include" || key == "includeoptional") && !d.args.empty() && depth < 16) {
      const bool optional = key == "includeoptional";
      const std::string& spec = d.args[0];
      fs::path pattern = spec;
      std::string why;
      if (pattern.is_absolute()) {
        if (auto placed = place_absolute(*ctx.state, pattern, file.parent_path())) {
          pattern = *placed;
        } else {
          why = "not in the checked tree (check a copy of the server's files with --root DIR)";
        }
      } else {
        // Relative to ServerRoot (httpd.conf's `Include conf/extra/httpd-ssl.conf`); for a file no
        // httpd.conf reaches, the nearest folder up from it where the path exists.
        pattern = (ctx.server_root / spec).lexically_normal();
        if (!ctx.entry) {
          for (fs::path folder = file.parent_path(); !folder.empty() && in_scanned_tree(*ctx.state, folder);
               folder = folder.parent_path()) {
            const auto candidate = (folder / spec).lexically_normal();
            if (!expand_glob(candidate).empty()) {
              pattern = candidate;
              break;
            }
            if (folder == folder.parent_path()) {
              break;
            }
          }
        }
      }
      std::error_code ec;
      if (why.empty() && !optional &&
          (has_wildcard(spec) ? !fs::is_directory(pattern.parent_path(), ec) : !fs::exists(pattern, ec))) {
        why = fmt::format("no {} {}", has_wildcard(spec) ? "folder" : "file",
                          (has_wildcard(spec) ? pattern.parent_path() : pattern).string());
      }
      if (!why.empty()) {
        if (!optional) {
          d.unresolved = why;
          out.push_back(d);
        }
        continue;
      }
      {
        for (const auto& included : expand_glob(pattern)) {
          // A file that includes itself, directly or not, would be read 2^16 times before the depth
          // limit stops it (Apache refuses such a configuration too).
          if (std::find(chain.begin(), chain.end(), included.string()) != chain.end()) {
            error = {name, start, fmt::format("{} includes {}, which includes it: an include loop (expected each "
                                              "file to be included from outside itself)",
                                              name, included.string())};
            return false;
          }
          if (!read(included, vhost, out, files, error, depth + 1, chain, ctx)) {
            return false;
          }
        }
      }
    }
    out.push_back(std::move(d));
  }
  if (!sections.empty()) {
    error = {name, sections.back().line, fmt::format("<{}> is not closed", sections.back().name)};
    return false;
  }
  return true;
}

// The protocols an SSLProtocol line enables: "all -TLSv1 -TLSv1.1", "-all +TLSv1.2", "TLSv1.2".
std::string protocols_of(const std::vector<std::string>& args)
{
  const std::vector<std::string> all = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
  std::vector<std::string> enabled;
  auto add = [&](const std::string& p) {
    if (std::find(enabled.begin(), enabled.end(), p) == enabled.end()) {
      enabled.push_back(p);
    }
  };
  for (const auto& arg : args) {
    const char sign = arg.empty() ? '+' : arg[0];
    const std::string name = sign == '+' || sign == '-' ? arg.substr(1) : arg;
    const std::vector<std::string> targets = lower(name) == "all" ? all : std::vector<std::string>{name};
    for (const auto& t : targets) {
      if (sign == '-') {
        enabled.erase(std::remove(enabled.begin(), enabled.end(), t), enabled.end());
      } else {
        add(t);
      }
    }
  }
  std::sort(enabled.begin(), enabled.end());
  std::string out;
  for (const auto& p : enabled) {
    out += (out.empty() ? "" : " ") + p;
  }
  return out;
}

std::string join(const std::vector<std::string>& args)
{
  std::string out;
  for (const auto& a : args) {
    out += (out.empty() ? "" : " ") + a;
  }
  return out;
}

bool in_folder(const fs::path& file, const fs::path& folder)
{
  const auto rel = file.lexically_relative(folder);
  return !rel.empty() && *rel.begin() != "..";
}

bool is_entry(const fs::path& file)
{
  return file.filename() == "httpd.conf" || file.filename() == "apache2.conf";
}

// ServerRoot before any ServerRoot directive: the folder above conf/ for httpd's layout
// (ServerRoot/conf/httpd.conf), else the entry's own folder (Debian's /etc/apache2/apache2.conf).
fs::path default_server_root(const fs::path& file)
{
  const auto folder = file.parent_path();
  return folder.filename() == "conf" && is_entry(file) ? folder.parent_path() : folder;
}

} // namespace

Result<void> load_apache(LoadState& state, const std::vector<fs::path>& candidates)
{
  // Entry points first (httpd.conf, apache2.conf): files they include are read through them only.
  std::vector<fs::path> ordered;
  for (const auto& file : candidates) {
    if (is_entry(file)) {
      ordered.push_back(file);
    }
  }
  for (const auto& file : candidates) {
    if (!is_entry(file)) {
      ordered.push_back(file);
    }
  }
  std::set<std::string> included;
  std::vector<std::pair<fs::path, std::vector<Directive>>> roots;
  std::vector<fs::path> entries;
  for (const auto& file : ordered) {
    if (included.count(file.string())) {
      continue;
    }
    if (!is_entry(file)) {
      const auto governing = std::find_if(entries.begin(), entries.end(), [&](const fs::path& e) {
        return in_folder(file, default_server_root(e));
      });
      if (governing != entries.end()) {
        TRY_VOID(add_not_loaded(state, file.string(), "apache", fmt::format("not included from {}", governing->string())));
        continue;
      }
      const auto folder = file.parent_path().filename().string();
      std::error_code ec;
      if (folder.size() > 10 && folder.compare(folder.size() - 10, 10, "-available") == 0 &&
          fs::is_directory(file.parent_path().parent_path() / (folder.substr(0, folder.size() - 10) + "-enabled"), ec)) {
        TRY_VOID(add_not_loaded(state, file.string(), "apache",
                                fmt::format("in {}/, not enabled in {}-enabled/", folder, folder.substr(0, folder.size() - 10))));
        continue;
      }
    }
    std::vector<Directive> directives;
    std::set<std::string> files;
    ParseError error;
    std::vector<std::string> chain;
    Context ctx{&state, is_entry(file) ? default_server_root(file) : file.parent_path(), is_entry(file), {}, {}, {}};
    if (!read(file, "", directives, files, error, 0, chain, ctx)) {
      TRY_VOID(add_error(state, error.file, error.line, "apache", error.message));
      continue;
    }
    if (is_entry(file)) {
      entries.push_back(file);
    }
    files.erase(file.string());
    included.insert(files.begin(), files.end());
    roots.emplace_back(file, std::move(directives));
  }
  for (const auto& [file, directives] : roots) {
    if (included.count(file.string())) {
      continue;
    }
    TRY_VOID(add_input(state, file.string(), "apache"));
    std::set<std::string> seen_files;
    std::string global_unresolved;
    for (const auto& d : directives) {
      if (seen_files.insert(d.file).second && d.file != file.string()) {
        TRY_VOID(add_input(state, d.file, "apache"));
      }
      if (!d.unresolved.empty()) {
        const auto why = TRY(add_unresolved(state, d.file, d.line, "apache", d.args[0], d.unresolved));
        if (d.vhost.empty() && global_unresolved.empty()) {
          global_unresolved = why;
        }
      }
      TRY_VOID(state.db.insert("apache_directives", {d.file, int64_t{d.line}, d.vhost, d.name, nlohmann::json(d.args).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), join(d.args),
                                                     d.conditions.empty() ? Value{} : Value{d.conditions}}));
    }
    // Each virtual host: its own directives after the global ones (the last SSLProtocol wins).
    for (std::size_t i = 0; i < directives.size(); ++i) {
      if (directives[i].name != "<VirtualHost>") {
        continue;
      }
      const auto& host = directives[i];
      const Directive* protocol = nullptr;
      const Directive* ciphers = nullptr;
      bool ssl = false;
      std::string server_name;
      std::vector<const Directive*> headers;
      auto consider = [&](const Directive& d) {
        const auto key = lower(d.name);
        if (key == "sslengine" && !d.args.empty()) {
          ssl = lower(d.args[0]) == "on";
        } else if (key == "sslprotocol") {
          protocol = &d;
        } else if (key == "sslciphersuite") {
          ciphers = &d;
        } else if (key == "servername" && !d.args.empty() && server_name.empty()) {
          server_name = d.args[0];
        } else if (key == "header") {
          headers.push_back(&d);
        }
      };
      for (const auto& d : directives) {
        if (d.vhost.empty() && d.name != "<VirtualHost>") {
          consider(d);
        }
      }
      std::string vhost_unresolved;
      for (std::size_t j = i + 1; j < directives.size() && directives[j].name != "<VirtualHost>"; ++j) {
        if (!directives[j].vhost.empty()) {
          consider(directives[j]);
          if (!directives[j].unresolved.empty() && vhost_unresolved.empty()) {
            vhost_unresolved = fmt::format("include \"{}\" at {}:{} could not be read: {}", directives[j].args[0],
                                           directives[j].file, directives[j].line, directives[j].unresolved);
          }
        }
      }
      // SSLProtocol/SSLCipherSuite may be set in an include that could not be read: unknown.
      const std::string unresolved = !vhost_unresolved.empty() ? vhost_unresolved : global_unresolved;
      if (!ssl) {
        continue;
      }
      const std::string resource = "vhost " + (server_name.empty() ? host.vhost : server_name + " " + host.vhost);
      const std::string protocol_text = protocols_of(protocol ? protocol->args : std::vector<std::string>{"all", "-SSLv3"});
      const std::string cipher_text = ciphers ? join(ciphers->args) : "DEFAULT";
      TRY_VOID(state.db.insert("tls_endpoints",
                               {resource, std::string("apache"), protocol_text, cipher_text, weak_ciphers(cipher_text),
                                protocol ? Value{int64_t{protocol->line}} : Value{}, ciphers ? Value{int64_t{ciphers->line}} : Value{},
                                protocol ? protocol->file : host.file, int64_t{protocol ? protocol->line : host.line},
                                unresolved.empty() ? Value{} : Value{unresolved}}));
      const int64_t endpoint = state.next_endpoint++;
      TRY_VOID(state.db.insert("http_endpoints", {endpoint, resource, std::string("apache"), Value{}, host.file, int64_t{host.line}}));
      for (const auto* h : headers) {
        // Header [always|onsuccess] set|append|add|merge NAME VALUE
        std::vector<std::string> args = h->args;
        if (!args.empty() && (lower(args[0]) == "always" || lower(args[0]) == "onsuccess")) {
          args.erase(args.begin());
        }
        if (args.size() >= 3 && (lower(args[0]) == "set" || lower(args[0]) == "append" || lower(args[0]) == "add" ||
                                 lower(args[0]) == "merge" || lower(args[0]) == "setifempty")) {
          TRY_VOID(state.db.insert("http_headers", {endpoint, lower(args[1]), args[2], h->file, int64_t{h->line}}));
        }
      }
    }
  }
  return {};
}

} // namespace complycli::evidence
