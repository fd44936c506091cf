#pragma once

// The workspace: a `.complycli/` folder that holds the keystore, the audit log, the log key and
// settings. Found like git finds `.git`: by walking up from the current folder, unless --home or
// COMPLYCLI_HOME names it.

#include "core/error.hpp"

#include <filesystem>
#include <optional>

namespace complycli::core {

inline constexpr const char* workspace_folder_name = ".complycli";

struct Workspace {
  std::filesystem::path dir; // the .complycli folder itself

  std::filesystem::path settings_path() const { return dir / "settings.json"; }
  std::filesystem::path keystore_path() const { return dir / "keystore.db"; }
  std::filesystem::path audit_db_path() const { return dir / "audit.db"; }
  std::filesystem::path log_key_path() const { return dir / "log.key"; }
  // The folder that holds the workspace (where `init` ran); relative paths in settings start here.
  std::filesystem::path project_dir() const { return dir.parent_path(); }
};

struct Settings {
  int schema_version = 1;
  std::string created;                          // RFC 3339 UTC
  std::optional<std::filesystem::path> profile; // the company profile, relative to project_dir()
  // The audit log on a PostgreSQL server (docs/postgresql.md): its URL (never with a password) and the
  // log's public key as this workspace first found it (verify trusts it when the signing key is elsewhere).
  std::optional<std::string> store;
  std::string store_log_key;
};

// Find the workspace. `home` (from --home or COMPLYCLI_HOME) is either a workspace folder or a folder
// that contains `.complycli/`; without it, walk up from `start`. Errc::io with a hint if none exists.
Result<Workspace> find_workspace(const std::optional<std::filesystem::path>& home,
                                 const std::filesystem::path& start);

// Create a workspace: `home` itself when given, else `.complycli/` inside `project_dir`.
// Refuses (Errc::io) to touch an existing workspace. The folder gets mode 0700.
Result<Workspace> init_workspace(const std::optional<std::filesystem::path>& home,
                                 const std::filesystem::path& project_dir, const Settings& settings);

// Read and write settings.json.
Result<Settings> load_settings(const Workspace& workspace);
Result<void> save_settings(const Workspace& workspace, const Settings& settings);

} // namespace complycli::core
