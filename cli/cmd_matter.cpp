// complycli matter: client matters and their keys (create, list, show, rotate, rewrap, shred, export, import).

#include "auditlog/auditlog.hpp"
#include "attest/manifest.hpp"
#include "commands.hpp"
#include "keystore/signed_export.hpp"
#include "matter_support.hpp"
#include "util/time.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

namespace complycli::cli {

namespace {

struct MatterOptions {
  std::string name;
  std::vector<std::string> recipients;
  bool no_passphrase = false;
  std::string format = "table";
  SecretOptions secrets;
  // rewrap
  bool new_passphrase = false;
  std::string new_passphrase_file;
  std::vector<std::string> add_recipients;
  std::vector<std::string> remove_recipients;
  bool remove_passphrase = false;
  // shred
  bool yes = false;
  // export / import
  std::string to;
  std::string output;
  std::string file;
  std::string trust;
  bool force = false;
  // retire
  uint32_t version = 0;
  std::vector<std::string> paths;
};

std::filesystem::path trusted_signers_path(const core::Workspace& workspace)
{
  return workspace.dir / "trusted-signers";
}

// A public key from the command line; the legacy form (no checksum) is read with a warning.
Result<keystore::PublicKey> parse_key(const std::string& text, const Context& ctx)
{
  auto key = TRY(keystore::parse_public_key(text));
  if (keystore::is_legacy_public_key(text)) {
    ctx.warn(fmt::format("{} is in the old public key form, which has no checksum against typos (read for this "
                         "release only); its checksummed form is {}",
                         text, keystore::encode_public_key(key)));
  }
  return key;
}

Result<std::vector<keystore::PublicKey>> parse_keys(const std::vector<std::string>& texts, const Context& ctx)
{
  // Every key is checked before anything is changed.
  std::vector<keystore::PublicKey> keys;
  for (const auto& text : texts) {
    keys.push_back(TRY(parse_key(text, ctx)));
  }
  return keys;
}

nlohmann::ordered_json matter_json(const keystore::Matter& matter)
{
  nlohmann::ordered_json versions = nlohmann::ordered_json::array();
  for (const auto& version : matter.versions) {
    versions.push_back({{"version", version.version},
                        {"created", version.created},
                        {"public_key", version.public_key ? nlohmann::ordered_json(util::to_hex(*version.public_key))
                                                          : nlohmann::ordered_json()}});
  }
  nlohmann::ordered_json retired = nlohmann::ordered_json::array();
  for (const auto& version : matter.retired) {
    retired.push_back({{"version", version.version}, {"retired", version.created}});
  }
  nlohmann::ordered_json passphrase = nullptr;
  if (matter.passphrase) {
    passphrase = {{"kdf", "argon2id"},
                  {"opslimit", matter.passphrase->opslimit},
                  {"memlimit_bytes", matter.passphrase->memlimit}};
  }
  return {{"name", matter.name},
          {"id", matter.id_hex()},
          {"created", matter.created},
          {"shredded_at", matter.shredded_at ? nlohmann::ordered_json(*matter.shredded_at) : nullptr},
          {"newest_key_version", matter.newest_version()},
          {"key_versions", versions},
          {"retired_key_versions", retired},
          {"passphrase", passphrase},
          {"recipients", matter.recipients}};
}

std::string unlock_summary(const keystore::Matter& matter)
{
  std::vector<std::string> ways;
  if (matter.passphrase) {
    ways.emplace_back("passphrase");
  }
  if (!matter.recipients.empty()) {
    ways.push_back(fmt::format("{} recipient{}", matter.recipients.size(), matter.recipients.size() == 1 ? "" : "s"));
  }
  return ways.empty() ? "-" : fmt::format("{}", fmt::join(ways, " + "));
}

Result<void> run_create(const MatterOptions& options, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  auto store = TRY(open_keystore(workspace));
  return audited(ctx, workspace, "matter.create", options.name, [&](nlohmann::json& details) -> Result<void> {
    const auto recipients = TRY(parse_keys(options.recipients, ctx));
    details["recipients"] = options.recipients;
    details["passphrase"] = !options.no_passphrase;
    if (options.no_passphrase && recipients.empty()) {
      return fail_with_hint(Errc::usage, "add --recipient PUBKEY (see `complycli identity new`)",
                            "--no-passphrase needs at least one --recipient");
    }
    const auto kdf = TRY(keystore::kdf_params_for_new_slots());
    std::optional<crypto::SecretBytes> passphrase;
    if (!options.no_passphrase) {
      passphrase = TRY(read_passphrase(options.secrets.passphrase_file, "COMPLYCLI_PASSPHRASE", true,
                                       fmt::format("new matter {}", options.name)));
    }
    const auto matter =
        TRY(store.create_matter(options.name, passphrase ? &*passphrase : nullptr, recipients, kdf));
    details["matter_id"] = matter.id_hex();
    details["key_version"] = 1;
    ctx.info(fmt::format("Created matter {} (id {}, key version 1, unlocked by {})", matter.name, matter.id_hex(),
                         unlock_summary(matter)));
    return {};
  });
}

Result<void> run_list(const MatterOptions& options, const Context& ctx)
{
  const auto format = TRY(parse_format(options.format));
  const auto workspace = TRY(ctx.workspace());
  const auto store = TRY(open_keystore(workspace, util::Access::read_only));
  const auto matters = store.list();
  if (format == core::Format::json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& matter : matters) {
      list.push_back(matter_json(matter));
    }
    fmt::print("{}\n", nlohmann::ordered_json{{"schema_version", 1}, {"matters", list}}.dump(2));
    return {};
  }
  if (matters.empty()) {
    ctx.info("No matters yet: `complycli matter create NAME` makes one");
    return {};
  }
  core::Table table({"NAME", "ID", "KEY VERSION", "UNLOCKED BY", "CREATED", "STATUS"});
  for (const auto& matter : matters) {
    table.add_row({matter.name, matter.id_hex(), matter.shredded_at ? "-" : std::to_string(matter.newest_version()),
                   unlock_summary(matter), matter.created.substr(0, 10),
                   matter.shredded_at ? "shredded " + matter.shredded_at->substr(0, 10) : "active"});
  }
  fmt::print("{}", table.render(ctx.colour_stdout()));
  return {};
}

Result<void> run_show(const MatterOptions& options, const Context& ctx)
{
  const auto format = TRY(parse_format(options.format));
  const auto workspace = TRY(ctx.workspace());
  const auto store = TRY(open_keystore(workspace, util::Access::read_only));
  const auto matter = TRY(store.find(options.name));
  if (format == core::Format::json) {
    auto doc = matter_json(matter);
    doc["schema_version"] = 1;
    fmt::print("{}\n", doc.dump(2));
    return {};
  }
  fmt::print("name:         {}\nid:           {}\ncreated:      {}\n", matter.name, matter.id_hex(), matter.created);
  if (matter.shredded_at) {
    fmt::print("status:       shredded on {}: every key version was destroyed\n", *matter.shredded_at);
    return {};
  }
  fmt::print("status:       active\n");
  if (matter.passphrase) {
    fmt::print("passphrase:   yes (argon2id, opslimit {}, memlimit {} MiB)\n", matter.passphrase->opslimit,
               matter.passphrase->memlimit >> 20);
  } else {
    fmt::print("passphrase:   no (only recipients can unlock it)\n");
  }
  for (const auto& recipient : matter.recipients) {
    fmt::print("recipient:    {}\n", recipient);
  }
  for (const auto& version : matter.versions) {
    fmt::print("key version:  {} (created {}, {}){}\n", version.version, version.created,
               version.public_key ? "format 2, public key " + util::to_hex(*version.public_key)
                                  : std::string("format 1, no public key"),
               version.version == matter.newest_version() ? ", used for new files" : "");
  }
  for (const auto& version : matter.retired) {
    fmt::print("retired:      key version {} (destroyed {})\n", version.version, version.created);
  }
  return {};
}

Result<void> run_rotate(const MatterOptions& options, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  auto store = TRY(open_keystore(workspace));
  return audited(ctx, workspace, "matter.rotate", options.name, [&](nlohmann::json& details) -> Result<void> {
    const auto matter = TRY(store.find(options.name));
    details["matter_id"] = matter.id_hex();
    auto credentials = TRY(Credentials::load(options.secrets));
    const auto version = TRY(store.rotate(matter, credentials->unlock()));
    details["key_version"] = version;
    ctx.info(fmt::format("Matter {} now encrypts new files with key version {}; older versions still decrypt"
                         " (`complycli reencrypt` moves files to it)",
                         matter.name, version));
    return {};
  });
}

Result<void> run_rewrap(const MatterOptions& options, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  auto store = TRY(open_keystore(workspace));
  return audited(ctx, workspace, "matter.rewrap", options.name, [&](nlohmann::json& details) -> Result<void> {
    const auto matter = TRY(store.find(options.name));
    details["matter_id"] = matter.id_hex();
    details["add_recipients"] = options.add_recipients;
    details["remove_recipients"] = options.remove_recipients;
    details["new_passphrase"] = options.new_passphrase || !options.new_passphrase_file.empty();
    details["remove_passphrase"] = options.remove_passphrase;
    keystore::Rewrap change;
    change.add_recipients = TRY(parse_keys(options.add_recipients, ctx));
    change.remove_recipients = TRY(parse_keys(options.remove_recipients, ctx));
    change.remove_passphrase = options.remove_passphrase;
    if (!details["new_passphrase"] && !change.remove_passphrase && change.add_recipients.empty() &&
        change.remove_recipients.empty()) {
      return fail_with_hint(Errc::usage, "see `complycli matter rewrap --help`", "nothing to change");
    }
    auto credentials = TRY(Credentials::load(options.secrets));
    auto unlock = credentials->unlock();
    // Unlock first (with the current passphrase), then ask for the new one.
    for (const auto& version : matter.versions) {
      TRY(store.unwrap(matter, version.version, unlock));
    }
    std::optional<crypto::SecretBytes> new_passphrase;
    if (details["new_passphrase"]) {
      new_passphrase = TRY(read_passphrase(options.new_passphrase_file, "COMPLYCLI_NEW_PASSPHRASE", true,
                                           fmt::format("new passphrase for matter {}", matter.name)));
      change.new_passphrase = &*new_passphrase;
    }
    TRY_VOID(store.rewrap(matter, unlock, change));
    const auto after = TRY(store.find(options.name));
    if (after.newest_version() != matter.newest_version()) {
      details["key_version"] = after.newest_version();
      ctx.info(fmt::format("Matter {} is now unlocked by {}; new files use key version {}, which what was removed "
                           "never held; older versions still decrypt until `complycli matter retire`",
                           after.name, unlock_summary(after), after.newest_version()));
      return {};
    }
    ctx.info(fmt::format("Matter {} is now unlocked by {}; no encrypted file changed", after.name,
                         unlock_summary(after)));
    return {};
  });
}

Result<void> confirm_shred(const keystore::Matter& matter, bool yes)
{
  if (yes || ::isatty(STDIN_FILENO) == 0) {
    return {};
  }
  fmt::print(stderr, "This destroys every key of matter {}: its files can never be decrypted again.\n"
                     "Type the matter name to confirm: ",
             matter.name);
  std::fflush(stderr);
  char line[256] = {};
  if (std::fgets(line, sizeof line, stdin) == nullptr || std::string_view(line).substr(0, matter.name.size()) !=
                                                               matter.name ||
      std::string_view(line).substr(matter.name.size()).find_first_not_of("\r\n") != std::string_view::npos) {
    return fail(Errc::usage, "not confirmed: matter {} was not shredded", matter.name);
  }
  return {};
}

Result<void> run_shred(const MatterOptions& options, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  auto store = TRY(open_keystore(workspace));
  return audited(ctx, workspace, "matter.shred", options.name, [&](nlohmann::json& details) -> Result<void> {
    const auto matter = TRY(store.find(options.name));
    details["matter_id"] = matter.id_hex();
    std::vector<uint32_t> versions;
    for (const auto& version : matter.versions) {
      versions.push_back(version.version);
    }
    details["key_versions"] = versions;
    TRY_VOID(confirm_shred(matter, options.yes));
    TRY_VOID(store.shred(matter));
    const auto after = TRY(store.find(options.name));
    details["shredded_at"] = after.shredded_at.value_or("");
    ctx.info(fmt::format("Destroyed {} key version{} of matter {}: its files can no longer be decrypted"
                         " (see `man complycli-matter` for what shredding cannot reach)",
                         versions.size(), versions.size() == 1 ? "" : "s", matter.name));
    return {};
  });
}

// Files under `paths` whose header names `matter` and `version` (only the first bytes are read).
Result<std::vector<std::string>> files_needing(const std::vector<std::string>& paths, const keystore::Matter& matter,
                                               uint32_t version)
{
  std::vector<std::string> needing;
  const auto check = [&](const std::filesystem::path& file) -> Result<void> {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return fail(Errc::io, "cannot read {}: {}", file.string(), std::strerror(errno));
    }
    std::array<uint8_t, crypto::max_header_size> bytes{};
    const auto got = ::read(fd, bytes.data(), bytes.size());
    ::close(fd);
    if (got < 0) {
      return fail(Errc::io, "cannot read {}: {}", file.string(), std::strerror(errno));
    }
    const auto header = crypto::parse_header(std::span(bytes.data(), static_cast<std::size_t>(got)));
    if (header && header->matter_id == matter.id && header->key_version == version) {
      needing.push_back(file.string());
    }
    return {};
  };
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& file : TRY(files_under(path, [](const std::filesystem::path&) { return true; }))) {
        TRY_VOID(check(file));
      }
    } else if (std::filesystem::is_regular_file(path, ec)) {
      TRY_VOID(check(path));
    } else {
      return fail(Errc::usage, "{}: no such file or folder", path);
    }
  }
  return needing;
}

Result<void> run_retire(const MatterOptions& options, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  auto store = TRY(open_keystore(workspace));
  return audited(ctx, workspace, "matter.retire", options.name, [&](nlohmann::json& details) -> Result<void> {
    const auto matter = TRY(store.find(options.name));
    details["matter_id"] = matter.id_hex();
    details["key_version"] = options.version;
    details["paths"] = options.paths;
    details["force"] = options.force;
    if (options.paths.empty() && !options.force) {
      return fail_with_hint(Errc::usage, "name the folders that hold the matter's files, or pass --force",
                            "matter retire checks that no file still needs key version {}: it needs PATHS",
                            options.version);
    }
    if (options.version == matter.newest_version()) {
      return fail_with_hint(Errc::usage, "`complycli matter rotate` first, then `complycli reencrypt` the files",
                            "key version {} is the one matter {} encrypts new files with: it cannot be retired",
                            options.version, matter.name);
    }
    if (!options.force) {
      const auto needing = TRY(files_needing(options.paths, matter, options.version));
      details["files_needing"] = needing.size();
      if (!needing.empty()) {
        const std::vector<std::string> shown(needing.begin(), needing.begin() + std::min<std::size_t>(needing.size(), 5));
        return fail_with_hint(Errc::check_failed,
                              "`complycli reencrypt -r PATH` moves them to the newest version (or pass --force)",
                              "{} file{} still need{} key version {} of matter {}: {}{}", needing.size(),
                              needing.size() == 1 ? "" : "s", needing.size() == 1 ? "s" : "", options.version,
                              matter.name, fmt::join(shown, ", "), needing.size() > shown.size() ? ", ..." : "");
      }
    }
    auto credentials = TRY(Credentials::load(options.secrets));
    TRY_VOID(store.retire(matter, options.version, credentials->unlock()));
    ctx.info(fmt::format("Destroyed key version {} of matter {}: files encrypted with it can no longer be decrypted",
                         options.version, matter.name));
    return {};
  });
}

Result<void> run_export(const MatterOptions& options, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  auto store = TRY(open_keystore(workspace));
  return audited(ctx, workspace, "matter.export", options.name, [&](nlohmann::json& details) -> Result<void> {
    const auto to = TRY(parse_key(options.to, ctx));
    const auto matter = TRY(store.find(options.name));
    details["matter_id"] = matter.id_hex();
    details["to"] = options.to;
    details["output"] = options.output;
    auto credentials = TRY(Credentials::load(options.secrets));
    const auto exported = TRY(store.export_matter(matter, credentials->unlock(), to));
    details["key_versions"] = exported.keys.size();
    // Signed with the workspace's log key (created with the audit log if there is none yet).
    TRY(auditlog::AuditLog::open(workspace));
    const auto key = TRY(attest::load_log_key(workspace.log_key_path()));
    details["signer"] = keystore::key_fingerprint(key.public_key());
    TRY_VOID(util::write_file_atomic(options.output, keystore::signed_export_json(exported, key, util::now_rfc3339()),
                                     options.force ? util::Overwrite::yes : util::Overwrite::no, 0600));
    ctx.info(fmt::format("Exported {} key version{} of matter {} to {}, sealed to {}, signed by {}",
                         exported.keys.size(), exported.keys.size() == 1 ? "" : "s", matter.name, options.output,
                         options.to, keystore::key_fingerprint(key.public_key())));
    return {};
  });
}

Result<void> run_import(const MatterOptions& options, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  auto store = TRY(open_keystore(workspace));
  return audited(ctx, workspace, "matter.import", options.file, [&](nlohmann::json& details) -> Result<void> {
    if (options.secrets.identity_files.size() != 1) {
      return fail(Errc::usage, "matter import needs exactly one --identity FILE");
    }
    const auto text = TRY(util::read_file(options.file));
    const auto signed_export = TRY(keystore::open_signed_export(text, options.file));
    const auto& exported = signed_export.exported;
    const auto fingerprint = keystore::key_fingerprint(signed_export.signer);
    details["matter"] = exported.name;
    details["matter_id"] = util::to_hex(exported.id);
    details["signer"] = fingerprint;
    ctx.info(fmt::format("{}: matter {}, exported {}, signed by {} (key {})", options.file, exported.name,
                         signed_export.exported_at, fingerprint, signed_export.signer.vkey()));
    // Trusted: this workspace's own log key, the keys in .complycli/trusted-signers, and --trust.
    bool trusted = false;
    if (auto own = auditlog::AuditLog::open(workspace, util::Access::read_only)) {
      if (auto key = own->public_key()) {
        trusted = *key == signed_export.signer;
      }
    }
    for (const auto& key : TRY(keystore::load_trusted_signers(trusted_signers_path(workspace)))) {
      trusted = trusted || key == signed_export.signer;
    }
    if (!options.trust.empty() && !keystore::trust_names(options.trust, signed_export.signer)) {
      return fail_with_hint(Errc::auth_failed, "compare the fingerprint with the sender before you trust it",
                            "{}: --trust {} does not name the export's signer {}", options.file, options.trust,
                            fingerprint);
    }
    if (!trusted && options.trust.empty()) {
      return fail_with_hint(Errc::auth_failed,
                            fmt::format("confirm the fingerprint with the sender (`complycli audit pubkey` in their "
                                        "workspace shows the key), then add --trust {}",
                                        fingerprint),
                            "{}: the export is signed by {}, which this workspace does not trust", options.file,
                            fingerprint);
    }
    const auto identity = TRY(keystore::load_identity(options.secrets.identity_files.front()));
    if (const auto held = store.find_by_id(exported.id)) {
      // An update of a matter imported before: only newer key versions are taken.
      auto credentials = TRY(Credentials::load(options.secrets));
      const auto added = TRY(store.import_newer_versions(*held, exported, identity, credentials->unlock()));
      if (!options.trust.empty()) {
        TRY_VOID(keystore::add_trusted_signer(trusted_signers_path(workspace), signed_export.signer));
      }
      details["key_versions_added"] = added;
      ctx.info(fmt::format("Updated matter {}: added key version{} {}", held->name, added.size() == 1 ? "" : "s",
                           fmt::join(added, ", ")));
      return {};
    }
    const auto kdf = TRY(keystore::kdf_params_for_new_slots());
    std::optional<crypto::SecretBytes> passphrase;
    if (!options.no_passphrase) {
      passphrase = TRY(read_passphrase(options.secrets.passphrase_file, "COMPLYCLI_PASSPHRASE", true,
                                       fmt::format("imported matter {}", exported.name)));
    }
    const auto matter = TRY(store.import_matter(exported, identity, passphrase ? &*passphrase : nullptr, kdf));
    if (!options.trust.empty()) {
      TRY_VOID(keystore::add_trusted_signer(trusted_signers_path(workspace), signed_export.signer));
    }
    details["key_versions"] = matter.versions.size();
    ctx.info(fmt::format("Imported matter {} ({} key version{}), unlocked by {}", matter.name, matter.versions.size(),
                         matter.versions.size() == 1 ? "" : "s", unlock_summary(matter)));
    return {};
  });
}

} // namespace

void register_matter(CLI::App& app, Context& ctx)
{
  auto o = std::make_shared<MatterOptions>();
  auto* matter = app.add_subcommand("matter", "Client matters and their keys: create, rotate, rewrap, shred");
  matter->require_subcommand(1);
  matter->footer("Example:\n  complycli matter create acme-v-globex\n  complycli matter list");

  auto* create = matter->add_subcommand("create", "Create a matter with its own data key");
  create->add_option("NAME", o->name, "The matter's name (letters, digits, . _ -)")->required();
  create->add_option("--recipient", o->recipients, "Also wrap the key to this public key (complycli1...)")->allow_extra_args(false);
  create->add_flag("--no-passphrase", o->no_passphrase,
                   "No passphrase wrap: only the recipients' identities unlock it (customer-managed)");
  add_secret_options(create, o->secrets, false);
  create->footer("Example:\n  COMPLYCLI_PASSPHRASE=... complycli matter create acme-v-globex\n"
                 "  complycli matter create byok --recipient complycli1... --no-passphrase");
  create->callback([o, &ctx] { ctx.outcome = run_create(*o, ctx); });

  auto* list = matter->add_subcommand("list", "List the matters of this workspace");
  list->add_option("--format", o->format, "table or json")->default_val("table");
  list->footer("Example:\n  complycli matter list --format json");
  list->callback([o, &ctx] { ctx.outcome = run_list(*o, ctx); });

  auto* show = matter->add_subcommand("show", "Show a matter: id, key versions, how it is unlocked");
  show->add_option("NAME", o->name, "The matter")->required();
  show->add_option("--format", o->format, "table or json")->default_val("table");
  show->footer("Example:\n  complycli matter show acme-v-globex");
  show->callback([o, &ctx] { ctx.outcome = run_show(*o, ctx); });

  auto* rotate = matter->add_subcommand("rotate", "Add a key version for new files (old versions still decrypt)");
  rotate->add_option("NAME", o->name, "The matter")->required();
  add_secret_options(rotate, o->secrets, true);
  rotate->footer("Example:\n  complycli matter rotate acme-v-globex && complycli reencrypt -r matters/acme");
  rotate->callback([o, &ctx] { ctx.outcome = run_rotate(*o, ctx); });

  auto* rewrap = matter->add_subcommand("rewrap", "Change the passphrase or recipients (no file is touched)");
  rewrap->add_option("NAME", o->name, "The matter")->required();
  rewrap->add_flag("--new-passphrase", o->new_passphrase,
                   "Set a new passphrase (prompt, or COMPLYCLI_NEW_PASSPHRASE, or --new-passphrase-file)");
  rewrap->add_option("--new-passphrase-file", o->new_passphrase_file, "Read the new passphrase from FILE");
  rewrap->add_option("--add-recipient", o->add_recipients, "Wrap every key version to this public key")->allow_extra_args(false);
  rewrap->add_option("--remove-recipient", o->remove_recipients, "Delete this recipient's wraps")->allow_extra_args(false);
  rewrap->add_flag("--remove-passphrase", o->remove_passphrase, "Delete the passphrase wraps");
  add_secret_options(rewrap, o->secrets, true);
  rewrap->footer("Example:\n  complycli matter rewrap acme-v-globex --add-recipient complycli1...\n"
                 "  complycli matter rewrap acme-v-globex --new-passphrase --new-passphrase-file new.txt");
  rewrap->callback([o, &ctx] { ctx.outcome = run_rewrap(*o, ctx); });

  auto* shred = matter->add_subcommand("shred", "Destroy every key of a matter (its files become unreadable)");
  shred->add_option("NAME", o->name, "The matter")->required();
  shred->add_flag("-y,--yes", o->yes, "Do not ask for confirmation on a terminal");
  shred->footer("Example:\n  complycli matter shred acme-v-globex --yes");
  shred->callback([o, &ctx] { ctx.outcome = run_shred(*o, ctx); });

  auto* retire = matter->add_subcommand("retire", "Destroy an old key version once no file under PATHS needs it");
  retire->add_option("NAME", o->name, "The matter")->required();
  retire->add_option("VERSION", o->version, "The key version to destroy (not the newest)")->required()
      ->check(CLI::Range(1u, 4294967295u));
  retire->add_option("PATHS", o->paths, "Files and folders to check (headers only): none may still need it");
  retire->add_flag("--force", o->force, "Skip the check (files still under the version become unreadable)");
  add_secret_options(retire, o->secrets, true);
  retire->footer("Example:\n  complycli matter rewrap acme --remove-recipient complycli1... && "
                 "complycli reencrypt -r matters/acme\n  complycli matter retire acme 1 matters/acme");
  retire->callback([o, &ctx] { ctx.outcome = run_retire(*o, ctx); });

  auto* exp = matter->add_subcommand("export", "Seal a matter's keys to another workspace's identity");
  exp->add_option("NAME", o->name, "The matter")->required();
  exp->add_option("--to", o->to, "The receiving identity's public key (complycli1...)")->required();
  exp->add_option("-o,--output", o->output, "The export file to write (mode 0600)")->required();
  exp->add_flag("--force", o->force, "Replace an existing file");
  add_secret_options(exp, o->secrets, true);
  exp->footer("Example:\n  complycli matter export acme-v-globex --to complycli1... -o acme.keys");
  exp->callback([o, &ctx] { ctx.outcome = run_export(*o, ctx); });

  auto* imp = matter->add_subcommand("import", "Add an exported matter to this workspace");
  imp->add_option("FILE", o->file, "The export file")->required();
  imp->add_flag("--no-passphrase", o->no_passphrase, "Keep only the identity's wrap; add no passphrase");
  imp->add_option("--trust", o->trust,
                  "Trust the export's signer: its fingerprint (SHA256:...) or vkey, checked with the sender;"
                  " remembered in .complycli/trusted-signers");
  add_secret_options(imp, o->secrets, true);
  imp->footer("Example:\n  complycli matter import acme.keys --identity office.key --trust SHA256:...\n"
                "Exports are signed by the sending workspace's log key; the signer must be this workspace, a key in\n"
                ".complycli/trusted-signers, or named by --trust. An older export than the matter held is refused.");
  imp->callback([o, &ctx] { ctx.outcome = run_import(*o, ctx); });
}

} // namespace complycli::cli
