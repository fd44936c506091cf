// complycli reencrypt: move matter files to their matter's newest key version, in place and atomically.

#include "commands.hpp"
#include "matter/matter_files.hpp"
#include "matter_support.hpp"

#include <memory>

namespace complycli::cli {

namespace {

namespace fs = std::filesystem;

struct ReencryptOptions {
  bool recursive = false;
  std::vector<std::string> paths;
  SecretOptions secrets;
};

Result<void> run_reencrypt(const ReencryptOptions& o, const Context& ctx)
{
  const auto workspace = TRY(ctx.workspace());
  const auto store = TRY(open_keystore(workspace));
  std::vector<std::string> files;
  for (const auto& path : o.paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      if (!o.recursive) {
        return fail_with_hint(Errc::usage, "use -r to re-encrypt every .cmply file under it", "{} is a folder", path);
      }
      const auto found = TRY(files_under(path, [](const fs::path& p) {
        return p.string().ends_with(matter::file_suffix);
      }));
      for (const auto& file : found) {
        files.push_back(file.string());
      }
    } else if (path == "-") {
      return fail(Errc::usage, "reencrypt works on files in place, not on standard input");
    } else {
      files.push_back(path);
    }
  }
  auto credentials = TRY(Credentials::load(o.secrets));
  matter::Keyring keyring(store, credentials->unlock());
  std::size_t changed = 0;
  for (const auto& file : files) {
    auto one = audited(ctx, workspace, "reencrypt", file, [&](nlohmann::json& details) -> Result<void> {
      Progress progress(ctx, fmt::format("re-encrypting {}", file), file_size_or_zero(file));
      auto reencrypted = matter::reencrypt_file(file, keyring, [&progress](uint64_t n) { progress.update(n); });
      if (!reencrypted) {
        return std::unexpected(name_stream_files(std::move(reencrypted).error(), file, file));
      }
      const auto& report = *reencrypted;
      add_stream_details(details, report.matter, report.header, report.stats, report.digest);
      details["from_key_version"] = report.from_version;
      details["from_format_version"] = report.from_format;
      details["unchanged"] = report.unchanged;
      if (report.unchanged) {
        ctx.info(fmt::format("{} already uses key version {} of matter {}", file, report.from_version, report.matter));
      } else {
        ++changed;
        ctx.info(fmt::format("{}: matter {}, key version {} -> {}{}", file, report.matter, report.from_version,
                             report.header.key_version,
                             report.from_format != report.header.format_version
                                 ? fmt::format(", format {} -> {}", report.from_format, report.header.format_version)
                                 : std::string()));
      }
      return {};
    });
    if (!one) {
      return one;
    }
  }
  if (files.size() > 1) {
    ctx.info(fmt::format("Re-encrypted {} of {} files", changed, files.size()));
  }
  return {};
}

} // namespace

void register_reencrypt(CLI::App& app, Context& ctx)
{
  auto o = std::make_shared<ReencryptOptions>();
  auto* sub = app.add_subcommand("reencrypt", "Move matter files to their matter's newest key version, in place");
  sub->add_flag("-r,--recursive", o->recursive, "Re-encrypt every *.cmply file under each folder");
  add_secret_options(sub, o->secrets, true);
  sub->add_option("PATH", o->paths, "Matter files, or folders with -r")->required();
  sub->footer("Example:\n  complycli matter rotate acme-v-globex && complycli reencrypt -r matters/acme");
  sub->callback([o, &ctx] { ctx.outcome = run_reencrypt(*o, ctx); });
}

} // namespace complycli::cli
