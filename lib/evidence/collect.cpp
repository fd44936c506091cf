// Walk the given paths, recognise each file by name and content, and load it into the evidence
// database.

#include "evidence/evidence.hpp"

#include "auditlog/auditlog.hpp"
#include "evidence/certificate.hpp"
#include "evidence/layout.hpp"
#include "evidence/loaders.hpp"
#include "evidence/probe.hpp"
#include "evidence/profile_tables.hpp"
#include "profile/profile.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/utf8.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <string_view>

namespace complycli::evidence {

namespace fs = std::filesystem;

const char* to_string(Kind kind)
{
  switch (kind) {
  case Kind::none: return "none";
  case Kind::nginx: return "nginx";
  case Kind::apache: return "apache";
  case Kind::sshd: return "sshd";
  case Kind::postgres: return "postgres";
  case Kind::pg_hba: return "pg_hba";
  case Kind::headers: return "headers";
  case Kind::terraform: return "terraform";
  case Kind::profile: return "profile";
  case Kind::document: return "document";
  }
  return "none";
}

std::string sha256_hex(std::string_view data)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return util::to_hex(std::span<const uint8_t>(digest, length));
}

Result<void> add_error(LoadState& state, const std::string& file, int line, const std::string& kind,
                       const std::string& message)
{
  state.inputs.insert(file);
  if (!state.errors.insert(fmt::format("{}:{}:{}", file, line, message)).second) {
    return {}; // the same problem, found again through an include
  }
  return state.db.insert("evidence_errors", {file, line > 0 ? Value{int64_t{line}} : Value{}, kind, message});
}

Result<std::optional<std::string>> read_text(LoadState& state, const fs::path& file, const std::string& kind)
{
  auto text = util::read_file(file);
  if (!text) {
    TRY_VOID(add_error(state, file.string(), 0, kind, text.error().message));
    return std::nullopt;
  }
  if (const auto problem = util::text_problem(*text)) {
    TRY_VOID(add_error(state, file.string(), problem->line, kind, problem->message));
    return std::nullopt;
  }
  return std::move(*text);
}

Result<void> add_input(LoadState& state, const std::string& file, const std::string& kind)
{
  state.inputs.insert(file);
  return state.db.insert("inputs", {file, kind});
}

namespace {

bool is_profile(const nlohmann::json& json)
{
  return json.is_object() && json.contains("organisation") && json["organisation"].is_object() &&
         (json.contains("schema_version") || json.contains("controls") || json.contains("subprocessors"));
}

bool is_terraform(const nlohmann::json& json)
{
  return json.is_object() && json.contains("format_version") &&
         (json.contains("planned_values") || json.contains("values") || json.contains("terraform_version"));
}

// Check definitions, waiver files and workspace settings are not evidence.
bool is_tool_file(const nlohmann::json& json)
{
  return json.is_object() && ((json.contains("id") && json.contains("query")) || json.contains("waivers"));
}

bool is_word_char(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool equals_icase(std::string_view a, std::string_view b)
{
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_one_of(std::string_view word, std::initializer_list<std::string_view> words, bool ignore_case = false)
{
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return ignore_case ? equals_icase(word, w) : word == w; });
}

// What kind of configuration `text` looks like, from the first word of its lines. A hand-written scan
// rather than std::regex: libstdc++'s regex recurses once per character matched, and a long line
// (a megabyte of spaces or of one word) overflowed the stack.
Kind sniff_conf(const std::string& text)
{
  bool nginx = false;
  bool sshd = false;
  bool postgres = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
      continue;
    }
    line.remove_prefix(first);
    if (line[0] == '<') {
      // <VirtualHost followed by a blank or '>'
      if (line.size() > 12 && equals_icase(line.substr(1, 11), "VirtualHost") &&
          (line[12] == ' ' || line[12] == '\t' || line[12] == '>')) {
        return Kind::apache;
      }
      continue;
    }
    std::size_t n = 0;
    while (n < line.size() && is_word_char(line[n])) {
      ++n;
    }
    const std::string_view word = line.substr(0, n);
    const std::string_view rest = line.substr(n);
    const bool blank_follows = !rest.empty() && (rest[0] == ' ' || rest[0] == '\t');
    if (word.empty()) {
      continue;
    }
    if (blank_follows && is_one_of(word, {"SSLProtocol", "SSLEngine", "ServerRoot", "LoadModule"}, true)) {
      return Kind::apache;
    }
    if (is_one_of(word, {"http", "server", "events", "location", "upstream", "stream"})) {
      // The block opens on this line: a '{' before any ';'.
      const auto brace = rest.find_first_of(";{");
      nginx = nginx || (brace != std::string_view::npos && rest[brace] == '{');
    }
    if (blank_follows &&
        is_one_of(word, {"listen", "server_name", "ssl_protocols", "ssl_ciphers", "add_header", "proxy_pass",
                         "ssl_certificate"})) {
      nginx = nginx || rest.find(';') != std::string_view::npos;
    }
    if (blank_follows && is_one_of(word, {"PermitRootLogin", "PasswordAuthentication", "KbdInteractiveAuthentication",
                                           "ChallengeResponseAuthentication", "PubkeyAuthentication", "UsePAM",
                                           "Subsystem", "HostKey"},
                                   true)) {
      sshd = true;
    }
    // PostgreSQL settings (`name = value`) that no other server's files have, including those of
    // include fragments that only set logging or tuning (supabase's postgresql-custom/*.conf).
    if (is_one_of(word, {"ssl", "listen_addresses", "max_connections", "shared_buffers", "password_encryption",
                         "ssl_min_protocol_version", "log_connections", "log_disconnections", "log_destination",
                         "logging_collector", "log_statement", "log_line_prefix", "wal_level",
                         "shared_preload_libraries", "hba_file", "ident_file", "data_directory", "ssl_cert_file",
                         "ssl_key_file", "effective_cache_size", "maintenance_work_mem", "max_wal_size",
                         "row_security", "statement_timeout"})) {
      const auto equals = rest.find_first_not_of(" \t");
      postgres = postgres || (equals != std::string_view::npos && rest[equals] == '=');
    }
  }
  return nginx ? Kind::nginx : sshd ? Kind::sshd : postgres ? Kind::postgres : Kind::none;
}


// A name a server's configuration (or a copy of one) has.
bool looks_like_server_config(const std::string& name)
{
  for (const char* part : {".conf", "sshd_config", "nginx", "httpd", "apache2", "postgresql", "pg_hba"}) {
    if (name.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

const char* guess_kind(const std::string& name)
{
  if (name.find("sshd_config") != std::string::npos) {
    return "sshd";
  }
  if (name.find("pg_hba") != std::string::npos) {
    return "pg_hba";
  }
  if (name.find("postgresql") != std::string::npos) {
    return "postgres";
  }
  if (name.find("httpd") != std::string::npos || name.find("apache2") != std::string::npos) {
    return "apache";
  }
  if (name.find("nginx") != std::string::npos) {
    return "nginx";
  }
  return "config";
}

Result<void> walk(const fs::path& root, std::vector<fs::path>& files)
{
  std::error_code ec;
  const auto status = fs::status(root, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return fail(Errc::io, "cannot read {}: {}", root.string(), ec.message()); // e.g. a symlink loop
  }
  if (ec || !fs::exists(status)) {
    return fail(Errc::usage, "{}: no such file or folder", root.string());
  }
  if (!fs::is_directory(status)) {
    files.push_back(root.lexically_normal());
    return {};
  }
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    return fail(Errc::io, "cannot read {}: {}", root.string(), ec.message());
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      return fail(Errc::io, "cannot read {}: {}", root.string(), ec.message());
    }
    const auto name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if ((!name.empty() && name[0] == '.') || name == "node_modules") {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (it->is_regular_file(ec)) {
      files.push_back(it->path().lexically_normal());
    }
  }
  return {};
}

std::string canonical_text(const fs::path& path)
{
  std::error_code ec;
  auto c = fs::weakly_canonical(path, ec);
  return ec ? path.string() : c.string();
}

Result<void> load_profile_file(LoadState& state, const fs::path& file, bool strict)
{
  auto text = util::read_file(file);
  if (!text) {
    if (strict) {
      return std::unexpected(text.error());
    }
    return add_error(state, file.string(), 0, "profile", text.error().message);
  }
  auto doc = yaml::parse_lined(*text, file.string()); // also refuses text that is not UTF-8
  if (!doc) {
    return std::unexpected(doc.error());
  }
  if (!doc->json.is_object() || !doc->json.contains("organisation") || !doc->json["organisation"].is_object()) {
    return fail(Errc::config, "{}:{}:1: not a company profile: no organisation mapping", file.string(),
                doc->line_of("organisation") ? doc->line_of("organisation") : 1);
  }
  return load_profile_tables(state, file, *doc);
}

// The entries of an audit log that the AI worker checks read: actions by workers and approvals.
Result<void> load_audit_log(LoadState& state, const fs::path& db, const fs::path& key)
{
  const std::string name = db.string();
  auto log = auditlog::AuditLog::open(db, key, util::Access::read_only);
  if (!log) {
    // A log that cannot be read is a finding of inputs-parse, not the end of the run.
    return add_error(state, name, 0, "audit_log", log.error().message);
  }
  TRY_VOID(add_input(state, name, "audit_log"));
  return log->for_each(auditlog::Filter{}, [&](const auditlog::Entry& e) -> Result<void> {
    if (!e.actor.starts_with("worker:") && e.action != "approval") {
      return {};
    }
    return state.db.insert("audit_entries", {e.seq, e.time, e.actor, e.action, e.target, e.outcome, e.details,
                                             util::to_hex(std::span<const uint8_t>(e.hash)), name});
  });
}

} // namespace

Result<void> validate_profile(const fs::path& file)
{
  const auto validation = TRY(profile::validate_file(file));
  if (!validation.valid()) {
    std::string message = "the profile is not valid:";
    for (const auto& d : validation.diagnostics) {
      message += "\n  " + d.to_string();
    }
    return fail_with_hint(Errc::config, fmt::format("`complycli profile validate {}` explains each problem", file.string()),
                          "{}", message);
  }
  return {};
}

Result<Evidence> collect(const Sources& sources)
{
  Evidence evidence{TRY(Database::open()), {}, std::nullopt};
  TRY_VOID(evidence.db.insert("run", {sources.today, sources.generated}));
  TRY_VOID(evidence.db.exec("BEGIN"));
  LoadState state{evidence.db, 1, 1, {}, sources.today, {}, std::nullopt, {}, {}};

  std::vector<fs::path> paths = sources.paths;
  if (sources.root) {
    state.root = sources.root->lexically_normal();
    if (paths.empty()) {
      // The conventional entry points of each server, inside the root.
      for (const char* entry : {"etc/nginx", "etc/apache2", "etc/httpd", "etc/ssh", "etc/postgresql"}) {
        std::error_code ec;
        if (fs::exists(*state.root / entry, ec)) {
          paths.push_back(*state.root / entry);
        }
      }
      if (paths.empty()) {
        return fail_with_hint(Errc::usage, "give the folder that holds the server's etc/ (a copy of its file system)",
                              "--root {}: none of etc/nginx, etc/apache2, etc/httpd, etc/ssh, etc/postgresql is there",
                              sources.root->string());
      }
    }
  }
  std::vector<fs::path> files;
  for (const auto& path : paths) {
    TRY_VOID(walk(path, files));
    std::error_code ec;
    const auto normal = path.lexically_normal();
    state.scanned.push_back(fs::is_directory(path, ec) ? normal : normal.parent_path());
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());

  std::string profile_canonical;
  if (sources.profile) {
    TRY_VOID(validate_profile(*sources.profile));
    TRY_VOID(load_profile_file(state, *sources.profile, true));
    profile_canonical = canonical_text(*sources.profile);
    evidence.profile = ProfileRef{sources.profile->string(), sha256_hex(TRY(util::read_file(*sources.profile)))};
  }

  if (sources.audit_db) {
    TRY_VOID(load_audit_log(state, *sources.audit_db, sources.audit_key));
  }

  std::vector<fs::path> nginx_files;
  std::vector<fs::path> apache_files;
  std::vector<fs::path> sshd_files;
  std::vector<fs::path> postgres_files;
  std::vector<fs::path> hba_files;
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const std::string ext = file.extension().string();
    const std::string parent = file.parent_path().filename().string();
    if (const auto reason = not_live_reason(file); reason && looks_like_server_config(name)) {
      TRY_VOID(add_not_loaded(state, file.string(), guess_kind(name), *reason));
      continue;
    }
    Kind kind = Kind::none;
    if (name.rfind("sshd_config", 0) == 0 || (parent == "sshd_config.d" && ext == ".conf")) {
      kind = Kind::sshd;
    } else if (name == "pg_hba.conf") {
      kind = Kind::pg_hba;
    } else if (name == "postgresql.conf" || name == "postgresql.auto.conf") {
      kind = Kind::postgres;
    } else if (name == "httpd.conf" || name == "apache2.conf") {
      kind = Kind::apache;
    } else if (name == "nginx.conf") {
      kind = Kind::nginx;
    }
    if (kind == Kind::sshd) {
      sshd_files.push_back(file);
      continue;
    }
    if (kind == Kind::pg_hba) {
      hba_files.push_back(file);
      continue;
    }
    if (kind == Kind::postgres) {
      postgres_files.push_back(file);
      continue;
    }
    if (kind == Kind::nginx) {
      nginx_files.push_back(file);
      continue;
    }
    if (kind == Kind::apache) {
      apache_files.push_back(file);
      continue;
    }
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || size > 64 * 1024 * 1024) {
      continue;
    }
    if (ext == ".json" || ext == ".yaml" || ext == ".yml") {
      if (!profile_canonical.empty() && canonical_text(file) == profile_canonical) {
        continue;
      }
      const auto text = TRY(ext == ".json" ? read_json_text(state, file, "document") : read_text(state, file, "document"));
      if (!text) {
        continue;
      }
      if (ext == ".json") {
        auto json = nlohmann::json::parse(*text, nullptr, false);
        if (!json.is_discarded() && is_terraform(json)) {
          TRY_VOID(load_terraform(state, file, *text, json));
          continue;
        }
      }
      auto doc = yaml::parse_lined(*text, file.string());
      if (!doc) {
        // "FILE:LINE:COLUMN: message" -> an error row at that line.
        static const std::regex located(R"(^.*:([0-9]+):[0-9]+: (.*)$)");
        std::smatch m;
        const auto& message = doc.error().message;
        if (std::regex_match(message, m, located)) {
          TRY_VOID(add_error(state, file.string(), std::stoi(m[1].str()), "document", m[2].str()));
        } else {
          TRY_VOID(add_error(state, file.string(), 0, "document", message));
        }
        continue;
      }
      if (is_profile(doc->json) && evidence.profile) {
        // One client per run: a second company profile is another client's (or a stray copy).
        if (sources.other_profiles == Sources::OtherProfiles::ignore || sha256_hex(*text) == evidence.profile->sha256) {
          continue;
        }
        return fail_with_hint(Errc::usage,
                              "pass --profile FILE to choose the profile to check (the other is then ignored), or "
                              "check that client from its own workspace",
                              "{}: a company profile that is not {} ({}); a workspace serves one client", file.string(),
                              sources.profile ? "the workspace's or --profile's" : "the first one found",
                              evidence.profile->path);
      }
      if (is_profile(doc->json)) {
        // A profile found by walking is evidence: its problems become error findings, not a stop.
        const auto validation = profile::validate_text(*text, file.string(), file.parent_path());
        if (!validation) {
          TRY_VOID(add_error(state, file.string(), 0, "profile", validation.error().message));
        } else {
          for (const auto& d : validation->diagnostics) {
            TRY_VOID(add_error(state, d.file, d.line, "profile", d.message));
          }
        }
        TRY_VOID(load_profile_tables(state, file, *doc));
        if (!evidence.profile) {
          evidence.profile = ProfileRef{file.string(), sha256_hex(*text)};
        }
      } else if (!is_tool_file(doc->json)) {
        TRY_VOID(load_document(state, file, *doc));
      }
      continue;
    }
    if (size > 4 * 1024 * 1024) {
      continue;
    }
    auto text = util::read_file(file);
    if (!text) {
      continue;
    }
    if (looks_like_http_response(*text)) {
      TRY_VOID(load_headers(state, file, *text));
    } else if ((ext == ".pem" || ext == ".crt" || ext == ".cer") && text->find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
      TRY_VOID(load_certificates(state, file, *text));
    } else if (ext == ".conf" || parent == "sites-enabled" || parent == "sites-available" || parent == "conf.d") {
      switch (sniff_conf(*text)) {
      case Kind::nginx: nginx_files.push_back(file); break;
      case Kind::apache: apache_files.push_back(file); break;
      case Kind::sshd: sshd_files.push_back(file); break;
      case Kind::postgres: postgres_files.push_back(file); break;
      default: break;
      }
    }
  }
  TRY_VOID(load_nginx(state, nginx_files));
  TRY_VOID(load_apache(state, apache_files));
  TRY_VOID(load_sshd(state, sshd_files));
  TRY_VOID(load_postgres(state, postgres_files));
  TRY_VOID(load_pg_hba(state, hba_files));
  for (const auto& url : sources.urls) {
    TRY_VOID(probe(state, url));
  }
  TRY_VOID(evidence.db.exec("COMMIT"));
  evidence.inputs.assign(state.inputs.begin(), state.inputs.end());
  return evidence;
}

} // namespace complycli::evidence
