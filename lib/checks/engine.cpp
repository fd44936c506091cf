#include "checks/engine.hpp"

#include "util/env.hpp"
#include "util/file.hpp"
#include "util/time.hpp"
#include "yaml/node.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>
#include <chrono>
#include <charconv>

namespace complycli::checks {

void aggregate(CheckResult& result)
{
  bool any_fail = false, any_error = false, any_unknown = false, any_pass = false;
  result.waived = 0;
  for (const auto& f : result.findings) {
    if (f.waived) {
      ++result.waived;
      continue;
    }
    any_fail |= f.status == Status::fail;
    any_error |= f.status == Status::error;
    any_unknown |= f.status == Status::unknown;
    any_pass |= f.status == Status::pass;
  }
  result.status = any_fail      ? Status::fail
                  : any_error   ? Status::error
                  : any_unknown ? Status::unknown
                  : any_pass    ? Status::pass
                                : Status::skip;
}

std::vector<CheckResult> evaluate(const std::vector<Check>& checks, const evidence::Database& db)
{
  std::vector<CheckResult> results;
  results.reserve(checks.size());
  for (const auto& check : checks) {
    CheckResult result{check, Status::skip, {}, 0};
    auto rows = db.query(check.query);
    if (!rows) {
      Finding f;
      f.resource = check.id;
      f.status = Status::error;
      f.reason = fmt::format("the query failed: {}", rows.error().message);
      f.file = check.file;
      f.line = check.line;
      result.findings.push_back(std::move(f));
    } else {
      // A large run has hundreds of thousands of findings: the rows' text moves into them, and each
      // list is allocated once at its size.
      const auto take_text = [](evidence::Value& cell) {
        if (auto* text = std::get_if<std::string>(&cell)) {
          return std::move(*text);
        }
        return evidence::to_text(cell);
      };
      result.findings.reserve(rows->rows.size());
      for (auto& row : rows->rows) {
        Finding f;
        f.resource = take_text(row[0]);
        const auto status_text = take_text(row[1]);
        f.reason = take_text(row[2]);
        f.file = take_text(row[3]);
        if (const auto* n = std::get_if<int64_t>(&row[4])) {
          f.line = *n;
        } else if (const auto* d = std::get_if<double>(&row[4])) {
          f.line = static_cast<int64_t>(*d);
        }
        if (auto s = parse_status(status_text)) {
          f.status = *s;
        } else {
          f.status = Status::error;
          f.reason = fmt::format("the query returned status \"{}\" (not pass, fail, skip, error or unknown)", status_text);
        }
        result.findings.push_back(std::move(f));
        row = std::vector<evidence::Value>(); // its memory goes as the findings grow
      }
    }
    aggregate(result);
    results.push_back(std::move(result));
  }
  return results;
}

namespace {

std::unexpected<Error> at(const std::string& file, const YAML::Mark& mark, const std::string& message)
{
  return fail(Errc::config, "{}:{}:{}: {}", file, std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1, message);
}

} // namespace

Result<Waivers> load_waivers(const std::filesystem::path& path, const std::string& today)
{
  return parse_waivers(TRY(util::read_file(path)), path.string(), today);
}

Result<Waivers> parse_waivers(const std::string& text, const std::string& file, const std::string& today)
{
  const YAML::Node root = TRY(yaml::load_node(text, file));
  if (root.IsNull()) {
    return Waivers{};
  }
  // No assignment to a yaml-cpp node here: assigning a missing key of a const node throws (found by fuzzing).
  const YAML::Node list = root.IsMap() ? root["waivers"] : root;
  if (!list) {
    return at(file, root.Mark(), "a waiver file is a list of waivers, or a mapping with a \"waivers\" list");
  }
  if (!list.IsSequence()) {
    return at(file, list.Mark(), "a waiver file is a list of waivers, or a mapping with a \"waivers\" list");
  }
  Waivers waivers;
  for (const auto& item : list) {
    const int line = item.Mark().line + 1;
    if (!item.IsMap()) {
      waivers.problems.push_back({file, line, "malformed waiver: not a mapping"});
      continue;
    }
    Waiver w;
    w.file = file;
    w.line = line;
    std::vector<std::string> missing;
    auto field = [&](const char* key, std::string& out, bool required) {
      const auto node = item[key];
      if (node && node.IsScalar() && !node.Scalar().empty()) {
        out = node.Scalar();
      } else if (required) {
        missing.emplace_back(key);
      }
    };
    field("check", w.check, true);
    field("resource", w.resource, false);
    field("reason", w.reason, true);
    field("owner", w.owner, true);
    field("expires", w.expires, true);
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) {
        names += (names.empty() ? "" : ", ") + m;
      }
      waivers.problems.push_back({file, line, fmt::format("malformed waiver{}: missing {}",
                                                          w.check.empty() ? "" : " for " + w.check, names)});
      continue;
    }
    if (!util::parse_date(w.expires)) {
      waivers.problems.push_back({file, line, fmt::format("malformed waiver for {}: expires \"{}\" is not a date YYYY-MM-DD", w.check, w.expires)});
      continue;
    }
    if (w.expires < today) {
      waivers.problems.push_back({file, line, fmt::format("expired waiver for {} ({}): expired {}", w.check, w.resource, w.expires)});
      continue;
    }
    waivers.active.push_back(std::move(w));
  }
  return waivers;
}

std::vector<WaiverProblem> apply_waivers(std::vector<CheckResult>& results, const Waivers& waivers)
{
  std::vector<bool> used(waivers.active.size(), false);
  std::set<std::string> evaluated;
  for (auto& result : results) {
    evaluated.insert(result.check.id);
    for (auto& finding : result.findings) {
      if (finding.status != Status::fail && finding.status != Status::error && finding.status != Status::unknown) {
        continue;
      }
      for (std::size_t i = 0; i < waivers.active.size(); ++i) {
        const auto& w = waivers.active[i];
        if (w.check == result.check.id && ::fnmatch(w.resource.c_str(), finding.resource.c_str(), 0) == 0) {
          finding.waived = true;
          finding.waiver = fmt::format("{} ({}, until {}; {}:{})", w.reason, w.owner, w.expires, w.file, w.line);
          used[i] = true;
          break;
        }
      }
    }
    aggregate(result);
  }
  std::vector<WaiverProblem> unused;
  for (std::size_t i = 0; i < waivers.active.size(); ++i) {
    const auto& w = waivers.active[i];
    if (!used[i] && evaluated.count(w.check)) {
      unused.push_back({w.file, w.line, fmt::format("waiver for {} ({}) matches no failing finding: remove it?", w.check, w.resource)});
    }
  }
  return unused;
}

std::size_t gate(Report& report)
{
  std::size_t count = 0;
  for (auto& result : report.results) {
    for (auto& f : result.findings) {
      f.gating = !f.waived && (f.status == Status::fail || f.status == Status::error || f.status == Status::unknown) &&
                 static_cast<int>(result.check.severity) >= static_cast<int>(report.fail_on);
      count += f.gating ? 1 : 0;
    }
  }
  return count;
}

Summary summarise(const Report& report)
{
  Summary s;
  for (const auto& r : report.results) {
    switch (r.status) {
    case Status::pass: ++s.pass; break;
    case Status::fail: ++s.fail; break;
    case Status::skip: ++s.skip; break;
    case Status::error: ++s.error; break;
    case Status::unknown: ++s.unknown; break;
    }
    s.waived += r.waived;
    for (const auto& f : r.findings) {
      s.gating += f.gating ? 1 : 0;
    }
  }
  return s;
}

Result<std::string> resolve_today(const std::string& date)
{
  if (!date.empty()) {
    if (!util::parse_date(date)) {
      return fail(Errc::usage, "--date {}: not a date YYYY-MM-DD", date);
    }
    return date;
  }
  using namespace std::chrono;
  if (auto epoch = util::get_env("SOURCE_DATE_EPOCH")) {
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(epoch->data(), epoch->data() + epoch->size(), seconds);
    if (ec != std::errc() || end != epoch->data() + epoch->size()) {
      return fail(Errc::usage, "SOURCE_DATE_EPOCH={}: not a number of seconds", *epoch);
    }
    return util::format_date(year_month_day{floor<days>(sys_seconds{std::chrono::seconds{seconds}})});
  }
  return util::format_date(year_month_day{floor<days>(system_clock::now())});
}

} // namespace complycli::checks
