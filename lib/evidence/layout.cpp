// Placing absolute paths in the checked tree, glob(3) expansion, and names no server loads.

#include "evidence/layout.hpp"

#include <glob.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace complycli::evidence {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> components(const fs::path& path)
{
  std::vector<std::string> out;
  for (const auto& part : path.relative_path()) {
    if (!part.empty() && part != ".") {
      out.push_back(part.string());
    }
  }
  return out;
}

bool is_within(const fs::path& file, const fs::path& folder)
{
  auto f = file.lexically_normal().string();
  auto d = folder.lexically_normal().string();
  while (d.size() > 1 && d.back() == '/') {
    d.pop_back();
  }
  return f == d || (f.size() > d.size() && f.compare(0, d.size(), d) == 0 && (d == "/" || f[d.size()] == '/'));
}

bool path_exists(const fs::path& path)
{
  std::error_code ec;
  return fs::exists(path, ec);
}

} // namespace

bool in_scanned_tree(const LoadState& state, const fs::path& file)
{
  if (state.root && is_within(file, *state.root)) {
    return true;
  }
  return std::any_of(state.scanned.begin(), state.scanned.end(), [&](const fs::path& s) { return is_within(file, s); });
}

std::optional<fs::path> place_absolute(const LoadState& state, const fs::path& path, const fs::path& near)
{
  if (state.root) {
    return (*state.root / path.relative_path()).lexically_normal();
  }
  // The folders of `path` (without its last part), aligned with an ancestor of `near` of the same name:
  // /etc/nginx/conf.d/x.conf from .../copy/etc/nginx/sites-enabled -> .../copy/etc/nginx/conf.d/x.conf.
  const auto dirs = components(path.parent_path());
  const auto name = path.filename();
  for (fs::path ancestor = near.lexically_normal(); !ancestor.empty() && in_scanned_tree(state, ancestor);
       ancestor = ancestor.parent_path()) {
    const auto last = ancestor.filename().string();
    for (std::size_t k = dirs.size(); k > 0; --k) {
      if (dirs[k - 1] != last) {
        continue;
      }
      fs::path candidate = ancestor;
      for (std::size_t i = k; i < dirs.size(); ++i) {
        candidate /= dirs[i];
      }
      candidate = (candidate / name).lexically_normal();
      if (in_scanned_tree(state, candidate)) {
        return candidate;
      }
    }
    if (ancestor == ancestor.parent_path()) {
      break;
    }
  }
  // A copy of the server's folder under another name (conf/ for /etc/nginx): the tail of the path's
  // folders, at least one of them, found under `near` or an ancestor in the tree.
  for (fs::path ancestor = near.lexically_normal(); !ancestor.empty() && in_scanned_tree(state, ancestor);
       ancestor = ancestor.parent_path()) {
    for (std::size_t k = 1; k < dirs.size(); ++k) {
      fs::path folder = ancestor;
      for (std::size_t i = k; i < dirs.size(); ++i) {
        folder /= dirs[i];
      }
      if (path_exists(folder)) {
        return (folder / name).lexically_normal();
      }
    }
    if (ancestor == ancestor.parent_path()) {
      break;
    }
  }
  return std::nullopt;
}

bool has_wildcard(const std::string& text)
{
  return text.find_first_of("*?[") != std::string::npos;
}

std::vector<fs::path> expand_glob(const fs::path& pattern)
{
  std::vector<fs::path> out;
  glob_t matches{};
  // glob(3) sorts its result and never lets a wildcard match a leading dot (no GLOB_PERIOD), which is
  // what nginx (ngx_open_glob), Apache (apr_match_glob sorts too), sshd and PostgreSQL rely on.
  if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      fs::path p = fs::path(matches.gl_pathv[i]).lexically_normal();
      std::error_code ec;
      if (!fs::is_directory(p, ec)) {
        out.push_back(std::move(p));
      }
    }
  }
  ::globfree(&matches);
  return out;
}

std::optional<std::string> not_live_reason(const fs::path& file)
{
  const std::string name = file.filename().string();
  if (!name.empty() && name[0] == '.') {
    return "a dot-file: server globs (*.conf) never match it";
  }
  if (!name.empty() && (name.back() == '~' || name[0] == '#')) {
    return "an editor's backup copy";
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> suffixes{{
      {".bak", "a backup copy"},
      {".backup", "a backup copy"},
      {".old", "a backup copy"},
      {".orig", "a backup copy"},
      {".save", "a backup copy"},
      {".swp", "an editor's swap file"},
      {".rpmnew", "a package manager's copy (rpm)"},
      {".rpmsave", "a package manager's copy (rpm)"},
      {".rpmorig", "a package manager's copy (rpm)"},
      {".dpkg-dist", "a package manager's copy (dpkg)"},
      {".dpkg-old", "a package manager's copy (dpkg)"},
      {".dpkg-new", "a package manager's copy (dpkg)"},
      {".dpkg-bak", "a package manager's copy (dpkg)"},
      {".ucf-dist", "a package manager's copy (ucf)"},
      {".ucf-old", "a package manager's copy (ucf)"},
      {".ucf-new", "a package manager's copy (ucf)"},
      {".pacnew", "a package manager's copy (pacman)"},
      {".pacsave", "a package manager's copy (pacman)"},
      {".disabled", "disabled by its name"},
      {".example", "an example, not a live file"},
      {".sample", "an example, not a live file"},
      {".in", "a build template, not a live file"},
  }};
  for (const auto& [suffix, reason] : suffixes) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return std::string(reason);
    }
  }
  // sshd_config.5, nginx.8: man pages named after the file they describe.
  const auto ext = file.extension().string();
  if (ext.size() == 2 && ext[1] >= '1' && ext[1] <= '9') {
    return "a man page";
  }
  return std::nullopt;
}

Result<void> add_not_loaded(LoadState& state, const std::string& file, const std::string& kind, const std::string& reason)
{
  if (!state.not_loaded.insert(file).second) {
    return {};
  }
  return state.db.insert("not_loaded", {file, kind, reason});
}

std::vector<fs::path> conf_files_of(const fs::path& folder)
{
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.empty() && name[0] != '.' && entry.path().extension() == ".conf" && entry.is_regular_file(ec)) {
      out.push_back(entry.path().lexically_normal());
    }
  }
  std::sort(out.begin(), out.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  return out;
}

Result<FollowedInclude> follow_include(LoadState& state, const IncludeRequest& include, std::set<std::string>& included,
                                       const std::function<Result<bool>(const fs::path&, int)>& read)
{
  using Form = IncludeRequest::Form;
  auto unresolved = [&](const std::string& spec, const std::string& why) -> Result<FollowedInclude> {
    return FollowedInclude{TRY(add_unresolved(state, include.from, include.line, include.kind, spec, why)), false};
  };
  if (include.depth >= include.max_depth) {
    auto out = TRY(unresolved(include.spec, "nested too deeply"));
    out.too_deep = true;
    return out;
  }
  fs::path target = include.spec;
  if (target.is_absolute()) {
    auto placed = place_absolute(state, target, fs::path(include.from).parent_path());
    if (!placed) {
      return unresolved(include.spec, "not in the checked tree (check a copy of the server's files with --root DIR)");
    }
    target = *placed;
  } else {
    target = (include.base / target).lexically_normal();
  }
  std::vector<fs::path> files;
  std::error_code ec;
  switch (include.form) {
  case Form::folder:
    if (!fs::is_directory(target, ec)) {
      return unresolved(include.spec, fmt::format("no folder {}", target.string()));
    }
    files = conf_files_of(target);
    break;
  case Form::glob:
    if (!fs::is_directory(target.parent_path(), ec)) {
      return unresolved(include.spec, fmt::format("no folder {}", target.parent_path().string()));
    }
    files = expand_glob(target);
    break;
  case Form::file:
    if (!fs::exists(target, ec)) {
      if (include.optional) {
        return FollowedInclude{};
      }
      return unresolved(include.spec, fmt::format("no file {}", target.string()));
    }
    files.push_back(target);
    break;
  }
  for (const auto& file : files) {
    included.insert(file.string());
    if (!TRY(read(file, include.depth + 1))) {
      if (!include.unparsed_is_unresolved) {
        return FollowedInclude{};
      }
      return unresolved(include.form == Form::file ? include.spec : file.string(), "it does not parse");
    }
  }
  return FollowedInclude{};
}

Result<std::string> add_unresolved(LoadState& state, const std::string& file, int line, const std::string& kind,
                                   const std::string& include, const std::string& reason)
{
  const auto key = fmt::format("{}:{}:unresolved {}", file, line, include);
  if (state.errors.insert(key).second) {
    TRY_VOID(state.db.insert("unresolved_includes", {file, line > 0 ? Value{int64_t{line}} : Value{}, kind, include, reason}));
  }
  return fmt::format("include \"{}\" at {}:{} could not be read: {}", include, file, line, reason);
}

} // namespace complycli::evidence
