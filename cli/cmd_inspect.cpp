// complycli inspect: what a matter file's header says (format, matter, key version, size); no key needed.

#include "commands.hpp"
#include "matter/matter_files.hpp"
#include "matter_support.hpp"
#include "util/hex.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace complycli::cli {

namespace {

struct InspectOptions {
  std::vector<std::string> paths;
  std::string format = "table";
};

Result<void> run_inspect(const InspectOptions& o, const Context& ctx)
{
  const auto format = TRY(parse_format(o.format));
  // The workspace is optional: without one, matters are shown by id only.
  std::optional<keystore::Keystore> store;
  if (auto workspace = ctx.workspace()) {
    if (std::filesystem::exists(workspace->keystore_path())) {
      if (auto opened = open_keystore(*workspace)) {
        store.emplace(std::move(*opened));
      }
    }
  }
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& path : o.paths) {
    const auto inspection = TRY(matter::inspect_file(path));
    std::optional<keystore::Matter> matter;
    if (store) {
      matter = store->find_by_id(inspection.header.matter_id);
    }
    std::string status = "unknown matter (not in this workspace)";
    if (matter) {
      status = matter->shredded_at ? "keys destroyed on " + *matter->shredded_at : "keys available";
    }
    if (format == core::Format::json) {
      files.push_back({{"file", path},
                       {"format_version", inspection.header.format_version},
                       {"matter", matter ? nlohmann::ordered_json(matter->name) : nullptr},
                       {"matter_id", util::to_hex(inspection.header.matter_id)},
                       {"key_version", inspection.header.key_version},
                       {"header_bytes", inspection.header_bytes},
                       {"file_bytes", inspection.file_bytes},
                       {"plaintext_bytes", inspection.plaintext_bytes ? nlohmann::ordered_json(*inspection.plaintext_bytes)
                                                                      : nullptr},
                       {"status", status}});
      continue;
    }
    fmt::print("file:            {}\nformat version:  {}\nmatter:          {}\nmatter id:       {}\n"
               "key version:     {}\nplaintext size:  {}\nstatus:          {}\n",
               path, inspection.header.format_version, matter ? matter->name : "-",
               util::to_hex(inspection.header.matter_id), inspection.header.key_version,
               inspection.plaintext_bytes
                   ? fmt::format("{} bytes (from the file length; not authenticated)", *inspection.plaintext_bytes)
                   : std::string("invalid: the file length fits no complete file (truncated?)"),
               status);
    if (&path != &o.paths.back()) {
      fmt::print("\n");
    }
  }
  if (format == core::Format::json) {
    fmt::print("{}\n", nlohmann::ordered_json{{"schema_version", 1}, {"files", files}}.dump(2));
  }
  (void)ctx;
  return {};
}

} // namespace

void register_inspect(CLI::App& app, Context& ctx)
{
  auto o = std::make_shared<InspectOptions>();
  auto* sub = app.add_subcommand("inspect", "Show a matter file's header: format, matter, key version, size");
  sub->add_option("FILE", o->paths, "Matter files")->required();
  sub->add_option("--format", o->format, "table or json")->default_val("table");
  sub->footer("Example:\n  complycli inspect matters/acme/brief.pdf.cmply");
  sub->callback([o, &ctx] { ctx.outcome = run_inspect(*o, ctx); });
}

} // namespace complycli::cli
