#pragma once

// Where the files a server loads are, in the tree being checked (internal to lib/evidence): absolute
// include paths placed inside `--root` or in the scanned tree's own layout (never on the scanning
// machine's file system), glob(3) expansion as the servers do it, and the names of files no server
// loads (backups, package-manager copies, man pages, dot-files).

#include "evidence/loaders.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace complycli::evidence {

// Where the server's absolute path `path` is in what is being checked: inside `state.root` when set;
// else in the scanned tree, when the path's folders match the tree's layout around `near` (the folder
// of the file that names it), for example /etc/ssh/sshd_config.d/x.conf next to .../etc/ssh/sshd_config.
// nullopt when it cannot be placed: the host's own /etc is never read without `--root /`.
std::optional<std::filesystem::path> place_absolute(const LoadState& state, const std::filesystem::path& path,
                                                    const std::filesystem::path& near);

// True when `text` holds a glob(3) wildcard.
bool has_wildcard(const std::string& text);

// The files `pattern` names, as glob(3) gives them to nginx, Apache, sshd and PostgreSQL: sorted,
// wildcards never match a leading dot; folders left out. A pattern without a wildcard names itself
// when it exists.
std::vector<std::filesystem::path> expand_glob(const std::filesystem::path& pattern);

// Why no server loads a file of this name (a backup, a package manager's copy, a man page, a dot-file),
// or nullopt.
std::optional<std::string> not_live_reason(const std::filesystem::path& file);

// Whether `file` lies inside one of the scanned paths (or `--root`).
bool in_scanned_tree(const LoadState& state, const std::filesystem::path& file);

// Record a file that was found but that the server does not load, and why (a skip of inputs-parse).
Result<void> add_not_loaded(LoadState& state, const std::string& file, const std::string& kind,
                            const std::string& reason);

// Record an include that could not be read; returns the text findings use as their reason:
// `include "X" at FILE:LINE could not be read: REASON`.
Result<std::string> add_unresolved(LoadState& state, const std::string& file, int line, const std::string& kind,
                                   const std::string& include, const std::string& reason);

// include_dir (PostgreSQL): the folder's *.conf files whose name does not start with a dot, in C-locale
// name order; folders left out.
std::vector<std::filesystem::path> conf_files_of(const std::filesystem::path& folder);

// One include directive of sshd_config (`Include`), postgresql.conf or pg_hba.conf (`include`,
// `include_if_exists`, `include_dir`).
struct IncludeRequest {
  enum class Form {
    file,   // one file (a glob(3) pattern without a wildcard is one too)
    glob,   // glob(3) pattern: sorted, wildcards never match a leading dot
    folder, // include_dir: conf_files_of(folder)
  };
  std::string from;            // the including file
  int line = 0;
  std::string kind;            // the loader ("sshd", "postgres", "pg_hba")
  std::string spec;            // the path as written
  std::filesystem::path base;  // where a relative path is
  Form form = Form::file;
  bool optional = false;       // include_if_exists: a missing file is skipped, as the server does
  int depth = 0;               // how many includes lead to `from`
  int max_depth = 10;          // the server's limit (PostgreSQL: 10); beyond it, "nested too deeply"
  // Whether an included file that does not parse (its error row is written by `read`) makes the
  // include unresolved; when false the include just stops there.
  bool unparsed_is_unresolved = true;
};

struct FollowedInclude {
  std::string unresolved; // "" when every file was read; else the reason text of add_unresolved
  bool too_deep = false;  // the include was beyond `max_depth`
};

// Follow an include as the server does: place its path (relative to `base`; an absolute one with
// place_absolute, never on this machine), list its files, add each to `included` and read it with
// `read(file, depth + 1)` (false when it does not parse). A path that cannot be placed, a missing file
// (unless `optional`) or folder, a file that does not parse and a nesting deeper than `max_depth` are
// recorded with add_unresolved and returned as its reason: what the include sets is unknown.
Result<FollowedInclude> follow_include(LoadState& state, const IncludeRequest& include, std::set<std::string>& included,
                                       const std::function<Result<bool>(const std::filesystem::path&, int)>& read);

} // namespace complycli::evidence
