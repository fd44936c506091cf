// complycli encrypt: encrypt files, folder trees (-r) or standard input under a matter's newest key.

#include "commands.hpp"
#include "matter/matter_files.hpp"
#include "matter_support.hpp"

#include <unistd.h>

#include <memory>

namespace complycli::cli {

namespace {

namespace fs = std::filesystem;

struct EncryptOptions {
  std::string matter;
  bool recursive = false;
  std::string output;
  bool force = false;
  bool remove_source = false;
  bool sha256 = false;
  std::vector<std::string> paths;
  SecretOptions secrets;
};

struct Job {
  std::string input;
  std::string output;
};

bool is_dir(const std::string& path)
{
  std::error_code ec;
  return path != "-" && fs::is_directory(path, ec);
}

bool has_suffix(const fs::path& path)
{
  return path.string().ends_with(matter::file_suffix);
}

Result<std::vector<Job>> plan(const EncryptOptions& o, bool output_is_terminal)
{
  std::vector<Job> jobs;
  const bool many = o.paths.size() > 1 || o.recursive;
  if (many && !o.output.empty() && !is_dir(o.output)) {
    return fail_with_hint(Errc::usage, "create the folder first, or encrypt one file at a time",
                          "-o {} must be an existing folder when encrypting several files or a tree", o.output);
  }
  if (std::count(o.paths.begin(), o.paths.end(), "-") > 1) {
    return fail(Errc::usage, "standard input (-) can be read only once");
  }
  for (const auto& path : o.paths) {
    if (path == "-") {
      const std::string out = o.output.empty() || many ? "-" : o.output;
      if (out == "-" && output_is_terminal && o.output != "-") {
        return fail_with_hint(Errc::usage, "redirect standard output, or use -o FILE (-o - forces it)",
                              "refusing to write ciphertext to a terminal");
      }
      jobs.push_back({path, out});
      continue;
    }
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return fail(Errc::io, "cannot encrypt {}: {}", path, ec.message()); // e.g. a symlink loop
    }
    if (ec || !fs::exists(status)) {
      return fail(Errc::io, "cannot encrypt {}: no such file or folder", path);
    }
    if (fs::is_directory(status)) {
      if (!o.recursive) {
        return fail_with_hint(Errc::usage, "use -r to encrypt every file under it", "{} is a folder", path);
      }
      const auto files = TRY(files_under(path, [](const fs::path& p) { return !has_suffix(p); }));
      for (const auto& file : files) {
        const auto relative = file.lexically_relative(path);
        const fs::path out = o.output.empty() ? fs::path(file.string() + std::string(matter::file_suffix))
                                              : fs::path(o.output) / (relative.string() + std::string(matter::file_suffix));
        jobs.push_back({file.string(), out.string()});
      }
      continue;
    }
    fs::path out;
    if (o.output.empty()) {
      out = path + std::string(matter::file_suffix);
    } else if (is_dir(o.output)) {
      out = fs::path(o.output) / (fs::path(path).filename().string() + std::string(matter::file_suffix));
    } else {
      out = o.output;
    }
    if (out != "-" && fs::exists(out, ec) && fs::equivalent(out, path, ec)) {
      return fail(Errc::usage, "the output {} is the input", out.string());
    }
    jobs.push_back({path, out.string()});
  }
  return jobs;
}

Result<void> run_encrypt(const EncryptOptions& o, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  // Fail closed, as decrypt does: an encryption the audit log cannot record is not done at all.
  TRY_VOID(require_audit_log(workspace, "encrypt"));
  const auto store = TRY(open_keystore(workspace, util::Access::read_only)); // encrypting changes no key
  return audited(ctx, workspace, "encrypt.batch", o.matter, [&](nlohmann::json& batch) -> Result<void> {
    batch["paths"] = o.paths;
    const auto matter = TRY(store.find(o.matter));
    const auto jobs = TRY(plan(o, ::isatty(STDOUT_FILENO) != 0));
    if (jobs.empty()) {
      ctx.info("Nothing to encrypt");
      return {};
    }
    // Format 2 (the newest key version has a public key): no passphrase, no identity, nothing secret is
    // read. Format 1 (a key version from before format 2): the data key must be unlocked.
    std::unique_ptr<Credentials> credentials;
    keystore::Unlock unlock;
    if (matter::format_for(matter) == crypto::legacy_format_version && !matter.shredded_at) {
      ctx.warn(fmt::format("matter {} has no public key yet (its key version {} predates format 2): writing format 1, "
                           "which needs the passphrase or an identity; `complycli matter rotate {}` adds a key "
                           "pair so that encrypting needs no secret",
                           matter.name, matter.newest_version(), matter.name));
      credentials = TRY(Credentials::load(o.secrets));
      unlock = credentials->unlock();
    }
    matter::Keyring keyring(store, std::move(unlock));
    std::size_t done = 0;
    for (const auto& job : jobs) {
      if (job.output != "-") {
        std::error_code ec;
        fs::create_directories(fs::path(job.output).parent_path().empty() ? fs::path(".")
                                                                         : fs::path(job.output).parent_path(),
                               ec);
      }
      auto one = audited(ctx, workspace, "encrypt", job.input, [&](nlohmann::json& details) -> Result<void> {
        details["matter"] = matter.name;
        details["output"] = job.output;
        Progress progress(ctx, fmt::format("encrypting {}", job.input), file_size_or_zero(job.input));
        auto encrypted = matter::encrypt_file(
            job.input, job.output, matter, keyring, o.force ? util::Overwrite::yes : util::Overwrite::no,
            o.remove_source ? matter::RemoveSource::yes : matter::RemoveSource::no,
            o.sha256 ? crypto::Digest::sha256 : crypto::Digest::none, [&progress](uint64_t n) { progress.update(n); });
        if (!encrypted) {
          return std::unexpected(name_stream_files(std::move(encrypted).error(), job.input, job.output));
        }
        const auto& report = *encrypted;
        add_stream_details(details, report.matter, report.header, report.stats, report.digest);
        details["source_removed"] = o.remove_source;
        if (job.output != "-") {
          ctx.info(fmt::format("{} -> {} (matter {}, key version {}, {}){}", job.input, job.output, matter.name,
                               report.header.key_version, human_size(report.stats.plaintext_bytes),
                               o.remove_source ? ", source verified and removed" : ""));
        }
        return {};
      });
      if (!one) {
        return one;
      }
      ++done;
    }
    batch["files"] = done;
    return {};
  });
}

} // namespace

void register_encrypt(CLI::App& app, Context& ctx)
{
  auto o = std::make_shared<EncryptOptions>();
  auto* sub = app.add_subcommand("encrypt", "Encrypt files under a matter's key (FILE -> FILE.cmply)");
  sub->add_option("--matter", o->matter, "The matter whose newest key version encrypts")->required();
  sub->add_flag("-r,--recursive", o->recursive, "Encrypt every file under each folder (skips *.cmply and symlinks)");
  sub->add_option("-o,--output", o->output,
                  "Output file, - for stdout, or a folder (mirrors the tree); default: FILE.cmply beside FILE");
  sub->add_flag("--force", o->force, "Replace existing output files");
  sub->add_flag("--remove-source", o->remove_source,
                "Remove each source once its encrypted file is complete and decrypts back to the same bytes");
  sub->add_flag("--sha256", o->sha256,
                "Also record the SHA-256 of each encrypted file in the audit log (costs about twice the CPU "
                "of the encryption)");
  add_secret_options(sub, o->secrets, true);
  sub->add_option("PATH", o->paths, "Files or folders to encrypt; - for standard input (default)");
  sub->footer("Encrypting needs no passphrase and no identity: files are sealed to the matter's public key\n"
              "(format 2). Only a matter whose newest key version predates format 2 needs them (run\n"
              "`complycli matter rotate NAME` once to move it on).\n"
              "Example:\n  complycli encrypt --matter acme-v-globex -r matters/acme\n"
              "  tar c evidence | complycli encrypt --matter acme-v-globex - > evidence.tar.cmply");
  sub->callback([o, &ctx] {
    if (o->paths.empty()) {
      o->paths.push_back("-");
    }
    ctx.outcome = run_encrypt(*o, ctx);
  });
}

} // namespace complycli::cli
