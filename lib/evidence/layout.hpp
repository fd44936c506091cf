#pragma once

// Where the files a server loads are, in the tree being checked (internal to lib/evidence): absolute
// include paths placed inside `--root` or in the scanned tree's own layout (never on the scanning
// machine's file system), glob(3) expansion as the servers do it, and the names of files no server
// loads (backups, package-manager copies, man pages, dot-files).

#include "evidence/loaders.hpp"

#include <filesystem>
#include <optional>
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

} // namespace complycli::evidence
