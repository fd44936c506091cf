// complycli decrypt: decrypt matter files; the matter and key version come from each file's header.

#include "commands.hpp"
#include "matter/matter_files.hpp"
#include "matter_support.hpp"

#include <memory>

namespace complycli::cli {

namespace {

namespace fs = std::filesystem;

struct DecryptOptions {
  std::string output;
  bool force = false;
  bool sha256 = false;
  std::vector<std::string> paths;
  SecretOptions secrets;
};

Result<std::string> output_for(const DecryptOptions& o, const std::string& path)
{
  std::error_code ec;
  const bool output_is_dir = !o.output.empty() && o.output != "-" && fs::is_directory(o.output, ec);
  if (o.paths.size() > 1 && !o.output.empty() && !output_is_dir) {
    return fail(Errc::usage, "-o {} must be an existing folder when decrypting several files", o.output);
  }
  if (path == "-") {
    return o.output.empty() || output_is_dir ? std::string("-") : o.output;
  }
  std::string name = fs::path(path).filename().string();
  if (!o.output.empty() && !output_is_dir) {
    return o.output;
  }
  if (!name.ends_with(matter::file_suffix) || name.size() == matter::file_suffix.size()) {
    return fail_with_hint(Errc::usage, "name the output with -o FILE (or -o - for standard output)",
                          "{} does not end in {}: cannot tell what to call the plaintext", path, matter::file_suffix);
  }
  name.resize(name.size() - matter::file_suffix.size());
  if (output_is_dir) {
    return (fs::path(o.output) / name).string();
  }
  return (fs::path(path).parent_path() / name).string();
}

Result<void> run_decrypt(const DecryptOptions& o, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  // Fail closed: a decryption the audit log cannot record (a read-only workspace) is not done at all.
  TRY_VOID(require_audit_log(workspace, "decrypt"));
  const auto store = TRY(open_keystore(workspace, util::Access::read_only));
  if (std::count(o.paths.begin(), o.paths.end(), "-") > 1) {
    return fail(Errc::usage, "standard input (-) can be read only once");
  }
  auto credentials = TRY(Credentials::load(o.secrets));
  matter::Keyring keyring(store, credentials->unlock());
  for (const auto& path : o.paths) {
    auto one = audited(ctx, workspace, "decrypt", path, [&](nlohmann::json& details) -> Result<void> {
      const auto output = TRY(output_for(o, path));
      details["output"] = output;
      Progress progress(ctx, fmt::format("decrypting {}", path), file_size_or_zero(path));
      auto report = matter::decrypt_file(path, output, keyring, o.force ? util::Overwrite::yes : util::Overwrite::no,
                                         o.sha256 ? crypto::Digest::sha256 : crypto::Digest::none,
                                         [&progress](uint64_t n) { progress.update(n); });
      if (!report) {
        // A header that does not parse: name the file, as inspect does (several may be decrypted).
        if (report.error().code == Errc::parse && report.error().message.find(path) == std::string::npos) {
          report.error().message = fmt::format("{}: {}", path == "-" ? "standard input" : path, report.error().message);
        }
        if (output == "-" && report.error().code == Errc::auth_failed) {
          report.error().hint = "anything already written to standard output must be discarded";
        }
        return std::unexpected(name_stream_files(report.error(), path, output));
      }
      add_stream_details(details, report->matter, report->header, report->stats, report->digest);
      if (output != "-") {
        ctx.info(fmt::format("{} -> {} (matter {}, key version {}, {})", path, output, report->matter,
                             report->header.key_version, human_size(report->stats.plaintext_bytes)));
      }
      return {};
    });
    if (!one) {
      return one;
    }
  }
  return {};
}

} // namespace

void register_decrypt(CLI::App& app, Context& ctx)
{
  auto o = std::make_shared<DecryptOptions>();
  auto* sub = app.add_subcommand("decrypt", "Decrypt matter files (the matter comes from each file's header)");
  sub->add_option("-o,--output", o->output,
                  "Output file, - for stdout, or a folder; default: FILE without .cmply, stdout for -");
  sub->add_flag("--force", o->force, "Replace existing output files");
  sub->add_flag("--sha256", o->sha256,
                "Also record the SHA-256 of each matter file read in the audit log (costs about twice the CPU "
                "of the decryption)");
  add_secret_options(sub, o->secrets, true);
  sub->add_option("PATH", o->paths, "Matter files to decrypt; - for standard input (default)");
  sub->footer("Example:\n  complycli decrypt matters/acme/brief.pdf.cmply\n"
              "  complycli decrypt --identity customer.key -o - brief.pdf.cmply | less");
  sub->callback([o, &ctx] {
    if (o->paths.empty()) {
      o->paths.push_back("-");
    }
    ctx.outcome = run_decrypt(*o, ctx);
  });
}

} // namespace complycli::cli
