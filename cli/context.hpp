#pragma once

// What every subcommand shares: the global options, the command's outcome, and the ways a command
// talks to the user (data to stdout, messages to stderr) and to the audit log.

#include "core/error.hpp"
#include "core/event.hpp"
#include "core/output.hpp"
#include "core/workspace.hpp"
#include "util/atomic_file.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <functional>
#include <string>
#include <string_view>

namespace complycli::cli {

struct Context {
  // Global options (set by main.cpp before any command runs).
  std::optional<std::string> home; // --home or COMPLYCLI_HOME
  std::string actor;               // --actor, COMPLYCLI_ACTOR, or the login name
  bool quiet = false;              // --quiet: only data and errors
  bool no_color = false;           // --no-color or NO_COLOR

  // Set by the subcommand that ran.
  Result<void> outcome;
  int exit_override = -1; // a command whose answer is "no" without an Error (rare) sets 1 here

  // Colour for stdout / stderr: only on a terminal, never with --no-color or NO_COLOR.
  bool colour_stdout() const;
  bool colour_stderr() const;

  // The workspace named by --home / COMPLYCLI_HOME, or found by walking up from the current folder.
  Result<core::Workspace> workspace() const;

  // A message for people on stderr (suppressed by --quiet).
  void info(std::string_view message) const;
  // A warning on stderr (always shown).
  void warn(std::string_view message) const;

  // Record an event in the workspace's audit log and return its sequence number. Failures to record
  // are reported as warnings (and return nullopt): the caller's own result stands.
  std::optional<int64_t> record(const core::Workspace& workspace, const core::Event& event) const;
};

// Write data to stdout, or atomically to `path` unless it is "-".
Result<void> emit(const std::string& path, std::string_view data, util::Overwrite overwrite);
// The same for output made in pieces: `produce` hands each piece to the writer it is given, and the
// pieces are written as they come (buffered), so that a large output is never held whole.
using Writer = std::function<void(std::string_view)>;
Result<void> emit_pieces(const std::string& path, util::Overwrite overwrite,
                         const std::function<void(const Writer&)>& produce);

// Parse a --format value shared by commands that print data.
Result<core::Format> parse_format(const std::string& text);

} // namespace complycli::cli
