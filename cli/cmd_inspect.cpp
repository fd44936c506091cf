// complycli inspect: what a matter file's header says (format version, matter id, key version) and its
// plaintext size, computed from the file's length. Needs no key and no workspace.

#include "commands.hpp"
#include "crypto/matter_file.hpp"
#include "util/hex.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace complycli::cli {

namespace {

struct InspectOptions {
  std::vector<std::string> files;
  std::string format = "table";
};

struct Inspected {
  std::string file;
  crypto::MatterFileHeader header;
  uint64_t file_size = 0;
  uint64_t plaintext_size = 0;
};

// The total length of what `fd` holds: its size for a regular file, else by reading to the end.
Result<uint64_t> length_of(int fd, const std::string& name, uint64_t already_read)
{
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    return static_cast<uint64_t>(st.st_size);
  }
  uint64_t total = already_read; // the header
  std::vector<uint8_t> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n == 0) {
      return total;
    }
    if (n < 0 && errno != EINTR) {
      return fail(Errc::io, "cannot read {}: {}", name, std::strerror(errno));
    }
    total += n > 0 ? static_cast<uint64_t>(n) : 0;
  }
}

Result<Inspected> inspect_file(const std::string& path)
{
  const bool stdin_input = path == "-";
  const std::string name = stdin_input ? "standard input" : path;
  const int fd = stdin_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::io, "cannot open {}: {}", path, std::strerror(errno));
  }
  std::unique_ptr<int, void (*)(int*)> closer(stdin_input ? nullptr : new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  auto header = crypto::read_header(fd);
  if (!header) {
    return std::unexpected(with_context(header.error(), name));
  }
  Inspected result{name, *header, 0, 0};
  result.file_size = TRY(length_of(fd, name, crypto::encoded_header_size(header->format_version)));
  const auto plaintext = crypto::plaintext_size_for(result.file_size, header->format_version);
  if (!plaintext) {
    return fail(Errc::auth_failed,
                "{}: the file is truncated or has bytes appended ({} bytes is not the length of any matter file)",
                name, result.file_size);
  }
  result.plaintext_size = *plaintext;
  return result;
}

Result<void> run_inspect(const InspectOptions& options, const Context& ctx)
{
  const auto format = TRY(parse_format(options.format));
  std::vector<Inspected> files;
  for (const auto& path : options.files) {
    files.push_back(TRY(inspect_file(path)));
  }
  std::string out;
  if (format == core::Format::json) {
    nlohmann::ordered_json json;
    json["schema_version"] = 1;
    json["files"] = nlohmann::ordered_json::array();
    for (const auto& f : files) {
      json["files"].push_back({{"file", f.file},
                               {"format_version", f.header.format_version},
                               {"matter_id", util::to_hex(f.header.matter_id)},
                               {"key_version", f.header.key_version},
                               {"file_size", f.file_size},
                               {"plaintext_size", f.plaintext_size}});
    }
    out = json.dump(2) + "\n";
  } else {
    core::Table table({"FILE", "FORMAT", "MATTER ID", "KEY VERSION", "PLAINTEXT BYTES"});
    for (const auto& f : files) {
      table.add_row({f.file, std::to_string(f.header.format_version), util::to_hex(f.header.matter_id),
                     std::to_string(f.header.key_version), std::to_string(f.plaintext_size)});
    }
    out = table.render(ctx.colour_stdout());
  }
  return emit("-", out, util::Overwrite::no);
}

} // namespace

void register_inspect(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<InspectOptions>();
  auto* sub = app.add_subcommand("inspect", "Show a matter file's format version, matter, key version and size");
  sub->add_option("files", options->files, "Matter files to inspect (- for standard input)")->required();
  sub->add_option("--format", options->format, "Output format: table or json")->default_str("table");
  sub->add_flag_callback("--json", [options] { options->format = "json"; }, "The same as --format json");
  sub->footer("Needs no key: the plaintext size comes from the file's length and is authenticated only by\n"
              "decrypting.\n"
              "Example:\n  complycli inspect contract.pdf.cmply --format json");
  sub->callback([options, &ctx] { ctx.outcome = run_inspect(*options, ctx); });
}

} // namespace complycli::cli
