#include "core/workspace.hpp"

#include "util/file.hpp"
#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace complycli::core {

namespace fs = std::filesystem;

namespace {

bool is_workspace(const fs::path& dir)
{
  std::error_code ec;
  return fs::is_regular_file(dir / "settings.json", ec);
}

const char* missing_hint = "run `complycli init` here, or name one with --home DIR or COMPLYCLI_HOME";

} // namespace

Result<Workspace> find_workspace(const std::optional<fs::path>& home, const fs::path& start)
{
  if (home) {
    if (is_workspace(*home)) {
      return Workspace{fs::absolute(*home).lexically_normal()};
    }
    if (is_workspace(*home / workspace_folder_name)) {
      return Workspace{fs::absolute(*home / workspace_folder_name).lexically_normal()};
    }
    return fail_with_hint(Errc::io, missing_hint, "no complycli workspace at {}", home->string());
  }
  fs::path dir = fs::absolute(start).lexically_normal();
  while (true) {
    if (is_workspace(dir / workspace_folder_name)) {
      return Workspace{dir / workspace_folder_name};
    }
    if (!dir.has_relative_path()) {
      break;
    }
    dir = dir.parent_path();
  }
  return fail_with_hint(Errc::io, missing_hint, "no complycli workspace in {} or any folder above it",
                        fs::absolute(start).lexically_normal().string());
}

Result<Workspace> init_workspace(const std::optional<fs::path>& home, const fs::path& project_dir,
                                 const Settings& settings)
{
  const fs::path dir = fs::absolute(home ? *home : project_dir / workspace_folder_name).lexically_normal();
  if (is_workspace(dir)) {
    return fail_with_hint(Errc::io, "a workspace is never overwritten; remove it yourself to start again",
                          "a complycli workspace already exists at {}", dir.string());
  }
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return fail(Errc::io, "{} exists and is not an empty folder", dir.string());
  }
  fs::create_directories(dir, ec);
  if (ec) {
    return fail(Errc::io, "cannot create {}: {}", dir.string(), ec.message());
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return fail(Errc::io, "cannot set the mode of {}: {}", dir.string(), std::strerror(errno));
  }
  Workspace workspace{dir};
  TRY_VOID(save_settings(workspace, settings));
  return workspace;
}

Result<Settings> load_settings(const Workspace& workspace)
{
  const auto text = TRY(util::read_file(workspace.settings_path()));
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return fail(Errc::io, "{} is damaged: expected a JSON object", workspace.settings_path().string());
  }
  // Check each field's type before reading it: nlohmann's value() throws on a mismatch.
  const auto damaged = [&](std::string_view what) {
    return fail(Errc::io, "{} is damaged: {}", workspace.settings_path().string(), what);
  };
  Settings settings;
  const auto version = json.find("schema_version");
  if (version == json.end() || !version->is_number_integer()) {
    return damaged("expected schema_version to be the integer 1");
  }
  if (version->get<int64_t>() != 1) {
    return fail_with_hint(Errc::io, "upgrade complycli", "{} has schema version {}, this complycli reads 1",
                          workspace.settings_path().string(), version->get<int64_t>());
  }
  settings.schema_version = 1;
  if (const auto created = json.find("created"); created != json.end()) {
    if (!created->is_string()) {
      return damaged("expected created to be a date and time (a string)");
    }
    settings.created = created->get<std::string>();
  }
  if (const auto profile = json.find("profile"); profile != json.end() && !profile->is_null()) {
    if (!profile->is_string()) {
      return damaged("expected profile to be a path (a string) or null");
    }
    settings.profile = profile->get<std::string>();
  }
  if (const auto store = json.find("store"); store != json.end() && !store->is_null()) {
    if (!store->is_string()) {
      return damaged("expected store to be a postgresql:// URL (a string) or absent");
    }
    settings.store = store->get<std::string>();
  }
  if (const auto key = json.find("store_log_key"); key != json.end() && key->is_string()) {
    settings.store_log_key = key->get<std::string>();
  }
  return settings;
}

Result<void> save_settings(const Workspace& workspace, const Settings& settings)
{
  nlohmann::ordered_json json;
  json["schema_version"] = settings.schema_version;
  json["created"] = settings.created.empty() ? util::now_rfc3339() : settings.created;
  json["profile"] = settings.profile ? nlohmann::ordered_json(settings.profile->string()) : nullptr;
  if (settings.store) {
    json["store"] = *settings.store;
    json["store_log_key"] = settings.store_log_key;
  }
  return util::write_file_atomic(workspace.settings_path(), json.dump(2) + "\n", util::Overwrite::yes, 0600);
}

} // namespace complycli::core
