#include "context.hpp"

#include "audit_hook.hpp"
#include "util/env.hpp"
#include "util/file.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace complycli::cli {

bool Context::colour_stdout() const
{
  return !no_color && util::is_colour_terminal(STDOUT_FILENO);
}

bool Context::colour_stderr() const
{
  return !no_color && util::is_colour_terminal(STDERR_FILENO);
}

Result<core::Workspace> Context::workspace() const
{
  std::optional<std::filesystem::path> home_path;
  if (home) {
    home_path = *home;
  }
  return core::find_workspace(home_path, std::filesystem::current_path());
}

void Context::info(std::string_view message) const
{
  if (!quiet) {
    fmt::print(stderr, "{}\n", message);
  }
}

void Context::warn(std::string_view message) const
{
  fmt::print(stderr, "complycli: {} {}\n", core::paint("warning:", core::Colour::yellow, colour_stderr()),
             message);
}

std::optional<int64_t> Context::record(const core::Workspace& workspace, const core::Event& event) const
{
  auto recorded = record_event(workspace, actor, event);
  if (!recorded) {
    warn(fmt::format("could not record {} in the audit log: {}", event.action, recorded.error().message));
    return std::nullopt;
  }
  return *recorded;
}

Result<void> emit(const std::string& path, std::string_view data, util::Overwrite overwrite)
{
  if (path == "-" || path.empty()) {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
      return fail(Errc::io, "cannot write to standard output");
    }
    return {};
  }
  return util::write_file_atomic(path, data, overwrite);
}

Result<void> emit_pieces(const std::string& path, util::Overwrite overwrite,
                         const std::function<void(const Writer&)>& produce)
{
  constexpr std::size_t flush_at = 1 << 20;
  const bool to_stdout = path == "-" || path.empty();
  std::optional<util::AtomicFile> file;
  if (!to_stdout) {
    file.emplace(TRY(util::AtomicFile::create(path, overwrite)));
  }
  std::string buffer;
  Result<void> status;
  const auto flush = [&]() {
    if (status && !buffer.empty()) {
      if (file) {
        status = file->write(buffer);
      } else if (std::fwrite(buffer.data(), 1, buffer.size(), stdout) != buffer.size()) {
        status = fail(Errc::io, "cannot write to standard output");
      }
    }
    buffer.clear();
  };
  produce([&](std::string_view piece) {
    buffer += piece;
    if (buffer.size() >= flush_at) {
      flush();
    }
  });
  flush();
  TRY_VOID(status);
  if (file) {
    return file->commit();
  }
  if (std::fflush(stdout) != 0) {
    return fail(Errc::io, "cannot write to standard output");
  }
  return {};
}

Result<core::Format> parse_format(const std::string& text)
{
  if (text == "table" || text == "text") {
    return core::Format::table;
  }
  if (text == "json") {
    return core::Format::json;
  }
  return fail(Errc::usage, "--format must be table or json, not {}", text);
}

} // namespace complycli::cli
