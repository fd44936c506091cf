// complycli audit: the tamper-evident audit log (append, import, log, show, verify, checkpoint, export,
// stats, pubkey). Reading the log is not itself logged.

#include "auditlog/auditlog.hpp"
#include "auditlog/export.hpp"
#include "commands.hpp"
#include "profile/profile.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"
#include "witness/http.hpp"
#include "witness/witness.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

namespace complycli::cli {

namespace {

using auditlog::AuditLog;

// Where data goes: stdout, or a file that appears atomically on finish().
class Sink {
public:
  static Result<Sink> open(const std::string &path, bool force)
  {
    Sink sink;
    if (!path.empty() && path != "-") {
      sink.m_file.emplace(
          TRY(util::AtomicFile::create(path, force ? util::Overwrite::yes : util::Overwrite::no, 0600)));
    }
    return sink;
  }
  Result<void> write(std::string_view text)
  {
    m_buffer.append(text);
    if (m_buffer.size() >= (1u << 20)) {
      return flush();
    }
    return {};
  }
  Result<void> finish()
  {
    TRY_VOID(flush());
    if (m_file) {
      return m_file->commit();
    }
    return {};
  }

private:
  Result<void> flush()
  {
    if (m_file) {
      TRY_VOID(m_file->write(m_buffer));
    } else if (std::fwrite(m_buffer.data(), 1, m_buffer.size(), stdout) != m_buffer.size() ||
               std::fflush(stdout) != 0) {
      return fail(Errc::io, "cannot write to standard output");
    }
    m_buffer.clear();
    return {};
  }
  std::optional<util::AtomicFile> m_file;
  std::string m_buffer;
};

// Commands that only read the log open it read-only: they work on a workspace on read-only media.
Result<AuditLog> open_log(const Context &ctx, util::Access access)
{
  const auto workspace = TRY(ctx.workspace());
  return AuditLog::open(workspace, access);
}

} // namespace

// --witness-key values: vkeys or files holding one (also used by cmd_audit_proof.cpp).
Result<std::vector<witness::CosignerKey>> load_witness_keys(const std::vector<std::string> &values)
{
  std::vector<witness::CosignerKey> keys;
  for (const auto &value : values) {
    std::string text = value;
    if (value.find('+') == std::string::npos) {
      text = TRY(util::read_file(value));
    }
    auto key = witness::parse_cosigner_vkey(text);
    if (!key) {
      return fail(Errc::usage, "--witness-key {}: {}", value, key.error().message);
    }
    keys.push_back(*key);
  }
  return keys;
}

namespace {

// "--details:1:7: message" from a JSON parse error of a one-line argument.
Result<nlohmann::json> parse_details(const std::string &text)
{
  try {
    auto json = nlohmann::json::parse(text);
    if (!json.is_object()) {
      return fail(Errc::usage, "--details must be a JSON object, not {}", json.type_name());
    }
    return json;
  } catch (const nlohmann::json::parse_error &e) {
    std::string what = e.what();
    std::size_t line = 1, column = e.byte;
    if (auto at = what.find("at line "); at != std::string::npos) {
      std::sscanf(what.c_str() + at, "at line %zu, column %zu", &line, &column);
    }
    if (auto colon = what.find(": ", what.find("column ")); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return fail(Errc::parse, "--details:{}:{}: {}", line, column, what);
  }
}

// --since / --until: a date (YYYY-MM-DD, the whole day) or an RFC 3339 UTC time.
Result<std::string> parse_time_bound(const std::string &option, const std::string &text, bool until)
{
  if (auto date = util::parse_date(text)) {
    auto day = std::chrono::sys_days(*date);
    if (until) {
      day += std::chrono::days(1);
    }
    return util::format_date(std::chrono::year_month_day(day)) + "T00:00:00.000000Z";
  }
  if (auto time = auditlog::normalise_time(text)) {
    return *time;
  }
  return fail(Errc::usage,
              "{} {}: expected a date (2026-11-25) or an RFC 3339 UTC time (2026-11-25T10:00:00Z)", option,
              text);
}

struct FilterOptions {
  std::string since, until, actor, action, target;
  int64_t limit = -1;
};

void add_filter_options(CLI::App *sub, FilterOptions &f, bool all)
{
  sub->add_option("--since", f.since, "Only entries at or after this date or time (UTC)");
  sub->add_option("--until", f.until, "Only entries before this time, or up to the end of this date (UTC)");
  if (all) {
    sub->add_option("--actor", f.actor, "Only entries by this actor");
    sub->add_option("--action", f.action, "Only entries with this action");
    sub->add_option("--target", f.target, "Only entries about this target");
    sub->add_option("-n,--limit", f.limit, "Only the last N matching entries")->check(CLI::NonNegativeNumber);
  }
}

Result<auditlog::Filter> make_filter(const FilterOptions &f)
{
  auditlog::Filter filter;
  if (!f.since.empty()) {
    filter.since = TRY(parse_time_bound("--since", f.since, false));
  }
  if (!f.until.empty()) {
    filter.until = TRY(parse_time_bound("--until", f.until, true));
  }
  if (!f.actor.empty()) {
    filter.actor = f.actor;
  }
  if (!f.action.empty()) {
    filter.action = f.action;
  }
  if (!f.target.empty()) {
    filter.target = f.target;
  }
  if (f.limit >= 0) {
    filter.limit = f.limit;
  }
  return filter;
}

// --- append ---------------------------------------------------------------------------------------

struct AppendOptions {
  std::string action, target, outcome = "ok", details, approved_by;
};

// --approved-by PERSON: the approver must be a person of the workspace's profile when it lists AI workers.
Result<void> check_approver(const core::Workspace &workspace, const std::string &person)
{
  auto path = profile::workspace_profile(workspace);
  if (!path) {
    if (path.error().code != Errc::usage) {
      return std::unexpected(path.error());
    }
    return profile::check_approver(profile::Profile{}, person);
  }
  return profile::check_approver(TRY(profile::load_profile(*path)), person);
}

Result<void> run_append(const AppendOptions &o, const Context &ctx)
{
  auditlog::NewEntry entry;
  entry.actor = ctx.actor;
  entry.action = o.action;
  entry.target = o.target;
  entry.outcome = o.outcome;
  if (!o.details.empty()) {
    entry.details = TRY(parse_details(o.details));
  }
  const auto workspace = TRY(ctx.workspace());
  if (!o.approved_by.empty()) {
    TRY_VOID(check_approver(workspace, o.approved_by));
  }
  auto log = TRY(AuditLog::open(workspace, util::Access::read_write));
  const auto appended = TRY(log.append(entry));
  ctx.info(fmt::format("Recorded entry {}", appended.seq));
  if (!o.approved_by.empty()) {
    // The approval is its own entry, by the approver, citing the action by sequence number and hash
    // (docs/audit-log.md, "Approvals").
    auditlog::NewEntry approval;
    approval.actor = o.approved_by;
    approval.action = "approval";
    approval.target = fmt::format("audit/{}", appended.seq);
    approval.details = {{"approves", {{"seq", appended.seq}, {"hash", util::to_hex(appended.hash)}}},
                        {"recorded_by", ctx.actor}};
    const auto recorded = TRY(log.append(approval));
    ctx.info(fmt::format("Recorded entry {}: {} approved entry {}", recorded.seq, o.approved_by, appended.seq));
  }
  return {};
}

// --- import ---------------------------------------------------------------------------------------

Result<void> run_import(const std::string &input, const Context &ctx)
{
  auto log = TRY(open_log(ctx, util::Access::read_write));
  int64_t count = 0;
  if (input == "-") {
    std::ios::sync_with_stdio(false);
    count = TRY(log.import(std::cin, "stdin", ctx.actor));
  } else {
    std::ifstream file(input, std::ios::binary);
    if (!file) {
      return fail(Errc::io, "cannot read {}: {}", input, std::strerror(errno));
    }
    count = TRY(log.import(file, input, ctx.actor));
  }
  ctx.info(fmt::format("Imported {} entries", count));
  return {};
}

// --- log ------------------------------------------------------------------------------------------

struct LogOptions {
  FilterOptions filter;
  std::string format = "table";
};

Result<void> run_log(const LogOptions &o, const Context &ctx)
{
  if (o.format != "table" && o.format != "text" && o.format != "json" && o.format != "jsonl") {
    return fail(Errc::usage, "--format must be table, json or jsonl, not {}", o.format);
  }
  const auto filter = TRY(make_filter(o.filter));
  auto log = TRY(open_log(ctx, util::Access::read_only));
  auto sink = TRY(Sink::open("-", false));
  if (o.format == "jsonl") {
    TRY_VOID(log.for_each(filter, [&](const auditlog::Entry &e) {
      return sink.write(auditlog::export_line(e, auditlog::ExportFormat::jsonl));
    }));
    return sink.finish();
  }
  if (o.format == "json") {
    nlohmann::ordered_json out;
    out["schema_version"] = 1;
    out["entries"] = nlohmann::ordered_json::array();
    TRY_VOID(log.for_each(filter, [&](const auditlog::Entry &e) -> Result<void> {
      out["entries"].push_back(auditlog::entry_to_json(e));
      return {};
    }));
    TRY_VOID(sink.write(out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));
    return sink.finish();
  }
  core::Table table({"SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "DETAILS"});
  TRY_VOID(log.for_each(filter, [&](const auditlog::Entry &e) -> Result<void> {
    table.add_row({std::to_string(e.seq), e.time, e.actor, e.action, e.target, e.outcome, e.details});
    return {};
  }));
  if (table.empty()) {
    ctx.info("No entries");
    return {};
  }
  TRY_VOID(sink.write(table.render(ctx.colour_stdout())));
  return sink.finish();
}

// --- show -----------------------------------------------------------------------------------------

Result<void> run_show(int64_t seq, const std::string &format, const Context &ctx)
{
  const auto fmt_choice = TRY(parse_format(format));
  auto log = TRY(open_log(ctx, util::Access::read_only));
  const auto entry = TRY(log.get(seq));
  if (!entry) {
    auto stats = TRY(log.stats());
    return fail(Errc::usage, "no entry {}: the log has {} entries", seq, stats.entries);
  }
  if (fmt_choice == core::Format::json) {
    nlohmann::ordered_json out;
    out["schema_version"] = 1;
    const auto json = auditlog::entry_to_json(*entry);
    for (auto it = json.begin(); it != json.end(); ++it) {
      out[it.key()] = it.value();
    }
    const auto leaf = auditlog::entry_leaf_data(*entry);
    out["leaf"] = auditlog::base64_encode(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(leaf.data()), leaf.size()));
    return emit("-", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                util::Overwrite::no);
  }
  const auto &e = *entry;
  return emit(
      "-",
      fmt::format("seq        {}\ntime       {}\nactor      {}\naction     {}\ntarget     {}\noutcome    {}\n"
                  "details    {}\nprev_hash  {}\nhash       {}\n",
                  e.seq, e.time, e.actor, e.action, e.target, e.outcome, e.details, util::to_hex(e.prev_hash),
                  util::to_hex(e.hash)),
      util::Overwrite::no);
}

// --- verify ---------------------------------------------------------------------------------------

} // namespace
Result<void> run_verify_tiles(const std::string &folder, const auditlog::PublicKey &key,
                              core::Format format); // cmd_audit_tiles.cpp
namespace {

struct VerifyCliOptions {
  std::vector<std::string> anchors;
  std::vector<std::string> witness_keys;
  int witnesses = -1;
  bool quick = false;
  std::string pubkey;
  std::string tiles;
  std::string format = "table";
};

// verify --quick: without re-walking the entries, check that the newest stored checkpoint is signed,
// that its root is the tree head of the stored subtrees, and that an RFC 6962 consistency proof from
// the stored subtrees links every anchor to it.
Result<void> run_verify_quick(AuditLog &log, const auditlog::VerifyOptions &options)
{
  const auto key = options.pubkey ? *options.pubkey : TRY(log.public_key());
  const auto latest = TRY(log.latest_checkpoint());
  if (!latest) {
    return fail(Errc::usage, "--quick needs a stored checkpoint: run `complycli audit checkpoint` first");
  }
  auto newest = auditlog::open_checkpoint(latest->note, key);
  if (!newest) {
    return fail(Errc::chain_broken, "the audit log does not verify: the newest checkpoint: {}",
                newest.error().message);
  }
  if (!newest->root) {
    return fail(Errc::usage, "--quick needs a version 2 checkpoint (with a Merkle root): run `complycli audit "
                             "checkpoint` first");
  }
  const auto root = TRY(log.tree_root(newest->size));
  if (root != *newest->root) {
    return fail(Errc::chain_broken, "the audit log does not verify: the stored tree is not the one the newest "
                                    "checkpoint ({} entries) signed",
                newest->size);
  }
  for (const auto &anchor : options.anchors) {
    auto body = auditlog::open_checkpoint(anchor.note, key);
    if (!body) {
      return fail(Errc::chain_broken, "the audit log does not verify: anchor {}: {}", anchor.name,
                  body.error().message);
    }
    if (!body->root) {
      return fail(Errc::usage, "anchor {} is a version 1 checkpoint: verify it without --quick", anchor.name);
    }
    if (body->size > newest->size) {
      return fail(Errc::chain_broken, "the audit log does not verify: anchor {} covers {} entries, the newest "
                                      "checkpoint {}",
                  anchor.name, body->size, newest->size);
    }
    const auto proof = TRY(log.consistency_proof(body->size, newest->size));
    if (!auditlog::verify_consistency(body->size, newest->size, *body->root, root, proof)) {
      return fail(Errc::chain_broken, "the audit log does not verify: anchor {}: the log's tree of {} entries "
                                      "does not extend it (rewritten at or before entry {})",
                  anchor.name, newest->size, body->size);
    }
  }
  return emit("-",
              fmt::format("consistent: the newest checkpoint ({} entries) extends {} anchors (entries not "
                          "re-walked)\nroot {}\nkey {}\n",
                          newest->size, options.anchors.size(), auditlog::base64_encode(root), key.vkey()),
              util::Overwrite::no);
}

Result<void> run_verify(const VerifyCliOptions &o, const Context &ctx)
{
  const auto fmt_choice = TRY(parse_format(o.format));
  auditlog::VerifyOptions options;
  if (!o.pubkey.empty()) {
    std::string text = o.pubkey;
    if (o.pubkey.find('+') == std::string::npos) { // not a vkey: a file holding one
      text = TRY(util::read_file(o.pubkey));
    }
    auto key = auditlog::parse_vkey(text);
    if (!key) {
      return fail(Errc::usage, "--pubkey {}: {}", o.pubkey, key.error().message);
    }
    options.pubkey = *key;
  }
  if (!o.tiles.empty()) { // a published folder: no database, the trusted key must be given
    if (!options.pubkey) {
      return fail_with_hint(Errc::usage, "give the log's verifier key, as `complycli audit pubkey` printed it",
                            "--tiles needs --pubkey: a published log is checked against a key you trust");
    }
    if (!o.anchors.empty() || o.quick) {
      return fail(Errc::usage, "--tiles cannot be combined with --anchor or --quick");
    }
    return run_verify_tiles(o.tiles, *options.pubkey, fmt_choice);
  }
  for (const auto &path : o.anchors) {
    options.anchors.push_back({path, TRY(util::read_file(path))});
  }
  // k of n witnesses must have cosigned every anchor.
  if (!o.witness_keys.empty()) {
    const auto keys = TRY(load_witness_keys(o.witness_keys));
    const int needed = o.witnesses < 0 ? static_cast<int>(keys.size()) : o.witnesses;
    for (const auto &anchor : options.anchors) {
      const int have = witness::count_cosignatures(anchor.note, keys);
      if (have < needed) {
        return fail(Errc::chain_broken, "anchor {}: cosigned by {} of the {} witnesses given, {} required",
                    anchor.name, have, keys.size(), needed);
      }
    }
  }
  auto log = TRY(open_log(ctx, util::Access::read_only));
  if (o.quick) {
    return run_verify_quick(log, options);
  }
  const auto report = TRY(log.verify(options));
  if (!report.triggers_present) {
    ctx.warn("the append-only triggers of audit.db are missing: someone changed its schema");
  }
  if (report.problem) {
    return fail_with_hint(Errc::chain_broken,
                          "entries before the first bad one are intact; compare with a backup or an exported "
                          "checkpoint to see what changed",
                          "the audit log does not verify: {}", report.problem->message);
  }
  if (fmt_choice == core::Format::json) {
    nlohmann::ordered_json out;
    out["schema_version"] = 1;
    out["verified"] = true;
    out["entries"] = report.entries;
    out["checkpoints"] = report.checkpoints;
    out["anchors"] = report.anchors;
    out["head"] = util::to_hex(report.head);
    out["root"] = auditlog::base64_encode(report.root);
    out["pubkey"] = report.key_vkey;
    return emit("-", out.dump(2) + "\n", util::Overwrite::no);
  }
  return emit("-",
              fmt::format("verified {} entries, {} checkpoints, {} anchors\nhead {}\nkey {}\n",
                          report.entries, report.checkpoints, report.anchors, util::to_hex(report.head),
                          report.key_vkey),
              util::Overwrite::no);
}

// --- checkpoint -----------------------------------------------------------------------------------

// Ask each witness (a folder made by `complycli witness init`, or the http:// URL of a `complycli witness
// serve` or any tlog-witness) to cosign `note`, with the consistency proof from the size it last cosigned;
// returns the note with their cosignature lines added.
Result<std::string> collect_cosignatures(AuditLog &log, const std::string &note, int64_t size,
                                         const std::vector<std::string> &witnesses)
{
  std::string out = note;
  const auto origin = note.substr(0, note.find('\n'));
  for (const auto &target : witnesses) {
    const bool url = target.find("://") != std::string::npos;
    // A folder tells its recorded size; a URL is asked with old size 0 and answers 409 with it.
    int64_t old_size = url ? 0 : TRY(witness::recorded_size(target, origin));
    witness::AddResult result;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (old_size > size) {
        return fail(Errc::chain_broken, "witness {} already cosigned {} entries; the log has {}", target, old_size,
                    size);
      }
      const auto proof = TRY(log.consistency_proof(old_size, size));
      const auto request = witness::add_checkpoint_request(old_size, proof, note);
      if (url) {
        result = TRY(witness::post_add_checkpoint(target, request));
      } else {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        result = TRY(witness::add_checkpoint(target, request, static_cast<uint64_t>(now)));
      }
      if (result.status != 409) {
        break;
      }
      int64_t recorded = -1;
      const auto digits = std::string_view(result.body).substr(0, result.body.find('\n'));
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), recorded);
      if (ec != std::errc() || end != digits.data() + digits.size() || recorded < 0 || attempt == 1) {
        return fail(Errc::io, "witness {} answers 409 without a usable size: {}", target, result.body.substr(0, 40));
      }
      old_size = recorded;
    }
    auto text = result.body.substr(0, result.body.empty() ? 0 : result.body.size() - 1);
    if (result.status == 404) {
      return fail_with_hint(Errc::usage, fmt::format("the witness must trust the log: complycli witness init ... "
                                                     "--log \"$(complycli audit pubkey)\""),
                            "witness {} does not know this log ({})", target, text);
    }
    if (result.status != 200) {
      return fail(Errc::chain_broken, "witness {} refuses to cosign (HTTP {}): {}", target, result.status, text);
    }
    out += result.body;
  }
  return out;
}

Result<void> run_checkpoint(const std::string &output, bool force, const std::vector<std::string> &witnesses,
                            const Context &ctx)
{
  auto log = TRY(open_log(ctx, util::Access::read_write));
  // Refuse an existing output file before signing anything.
  auto sink = TRY(Sink::open(output, force));
  const auto checkpoint = TRY(log.checkpoint());
  if (!witnesses.empty()) {
    const auto cosigned = TRY(collect_cosignatures(log, checkpoint.note, checkpoint.size, witnesses));
    TRY_VOID(sink.write(cosigned));
    return sink.finish();
  }
  TRY_VOID(sink.write(checkpoint.note));
  TRY_VOID(sink.finish());
  if (!output.empty() && output != "-") {
    ctx.info(fmt::format("Signed a checkpoint of {} entries; wrote {}", checkpoint.size, output));
  }
  return {};
}

// --- export ---------------------------------------------------------------------------------------

struct ExportOptions {
  std::string format = "jsonl";
  std::vector<std::string> redact;
  FilterOptions filter;
  std::string output = "-";
  bool force = false;
};

Result<void> run_export(const ExportOptions &o, const Context &ctx)
{
  auditlog::ExportFormat format{};
  if (o.format == "jsonl") {
    format = auditlog::ExportFormat::jsonl;
  } else if (o.format == "csv") {
    format = auditlog::ExportFormat::csv;
  } else if (o.format == "cef") {
    format = auditlog::ExportFormat::cef;
  } else {
    return fail(Errc::usage, "--format must be jsonl, csv or cef, not {}", o.format);
  }
  const auto filter = TRY(make_filter(o.filter));
  auto log = TRY(open_log(ctx, util::Access::read_only));
  auto sink = TRY(Sink::open(o.output, o.force));
  TRY_VOID(sink.write(auditlog::export_header(format)));
  int64_t count = 0;
  TRY_VOID(log.for_each(filter, [&](const auditlog::Entry &e) {
    ++count;
    return sink.write(auditlog::export_line(auditlog::redact(e, o.redact), format));
  }));
  TRY_VOID(sink.finish());
  if (o.output != "-") {
    ctx.info(fmt::format("Exported {} entries to {}", count, o.output));
  }
  return {};
}

// --- stats / pubkey -------------------------------------------------------------------------------

Result<void> run_stats(const std::string &format, const Context &ctx)
{
  const auto fmt_choice = TRY(parse_format(format));
  auto log = TRY(open_log(ctx, util::Access::read_only));
  const auto s = TRY(log.stats());
  if (fmt_choice == core::Format::json) {
    nlohmann::ordered_json out;
    out["schema_version"] = 1;
    out["entries"] = s.entries;
    out["first_time"] = s.first_time.empty() ? nullptr : nlohmann::ordered_json(s.first_time);
    out["last_time"] = s.last_time.empty() ? nullptr : nlohmann::ordered_json(s.last_time);
    out["head"] = util::to_hex(s.head);
    out["checkpoints"] = s.checkpoints;
    out["last_checkpoint_size"] = s.last_checkpoint_size;
    out["checkpoint_interval"] = auditlog::checkpoint_interval;
    out["actors"] = s.actors;
    out["actions"] = nlohmann::ordered_json::object();
    for (const auto &[action, n] : s.actions) {
      out["actions"][action] = n;
    }
    out["origin"] = s.origin;
    out["pubkey"] = s.vkey;
    out["bytes"] = s.file_bytes;
    return emit("-", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                util::Overwrite::no);
  }
  std::string text = fmt::format("entries              {}\n", s.entries);
  if (s.entries > 0) {
    text += fmt::format("first                {}\nlast                 {}\n", s.first_time, s.last_time);
  }
  text += fmt::format("head                 {}\n", util::to_hex(s.head));
  text += fmt::format("checkpoints          {} (latest covers {} entries{}; one every {} entries)\n",
                      s.checkpoints, s.last_checkpoint_size,
                      s.last_checkpoint_time.empty() ? "" : ", " + s.last_checkpoint_time,
                      auditlog::checkpoint_interval);
  text += fmt::format("actors               {}\n", s.actors);
  for (const auto &[action, n] : s.actions) {
    text += fmt::format("action {:<13} {}\n", action, n);
  }
  text += fmt::format("origin               {}\npubkey               {}\nsize                 {} bytes\n",
                      s.origin, s.vkey, s.file_bytes);
  return emit("-", text, util::Overwrite::no);
}

Result<void> run_pubkey(const Context &ctx)
{
  auto log = TRY(open_log(ctx, util::Access::read_only));
  const auto key = TRY(log.public_key());
  return emit("-", key.vkey() + "\n", util::Overwrite::no);
}

} // namespace

void register_audit_proof(CLI::App *audit, Context &ctx); // cmd_audit_proof.cpp
void register_audit_tiles(CLI::App *audit, Context &ctx); // cmd_audit_tiles.cpp

void register_audit(CLI::App &app, Context &ctx)
{
  auto *audit = app.add_subcommand("audit", "The tamper-evident audit log: append, read, verify, export");
  audit->require_subcommand(1);
  audit->footer(
      "Example:\n  complycli audit append --action backup.restore --target db1\n  complycli audit verify");

  {
    auto o = std::make_shared<AppendOptions>();
    auto *sub = audit->add_subcommand("append", "Append one entry (durable when the command returns)");
    sub->add_option("--action", o->action, "What was done, a dotted verb (e.g. access.grant)")->required();
    sub->add_option("--target", o->target, "What it was done to")->required();
    sub->add_option("--outcome", o->outcome, "ok, denied or error")
        ->check(CLI::IsMember({"ok", "denied", "error"}));
    sub->add_option("--details", o->details, "A JSON object with more facts");
    sub->add_option("--approved-by", o->approved_by,
                    "A person approved this action: also append an approval entry that cites it (seq and hash)");
    sub->footer(
        "Example:\n  complycli --actor alice audit append --action access.grant --target matter/acme \\\n"
        "    --details '{\"role\":\"reader\"}'\n"
        "  complycli --actor worker:intake audit append --action external_message.send \\\n"
        "    --target matter/acme --approved-by 'Jonah Brooks'");
    sub->callback([o, &ctx] { ctx.outcome = run_append(*o, ctx); });
  }
  {
    auto input = std::make_shared<std::string>("-");
    auto *sub =
        audit->add_subcommand("import", "Append JSON Lines records in one transaction (all or nothing)");
    sub->add_option("input", *input, "JSON Lines file, - for stdin");
    sub->footer("Example:\n  printf '%s\\n' '{\"action\":\"login\",\"target\":\"web\",\"actor\":\"bob\"}' | "
                "complycli audit import -");
    sub->callback([input, &ctx] { ctx.outcome = run_import(*input, ctx); });
  }
  {
    auto o = std::make_shared<LogOptions>();
    auto *sub = audit->add_subcommand("log", "List entries, oldest first");
    add_filter_options(sub, o->filter, true);
    sub->add_option("--format", o->format, "table, json or jsonl");
    sub->footer("Example:\n  complycli audit log --actor alice --since 2026-11-01 --format jsonl");
    sub->callback([o, &ctx] { ctx.outcome = run_log(*o, ctx); });
  }
  {
    auto seq = std::make_shared<int64_t>(0);
    auto format = std::make_shared<std::string>("table");
    auto *sub = audit->add_subcommand("show", "Show one entry with its hashes");
    sub->add_option("seq", *seq, "Sequence number")->required()->check(CLI::PositiveNumber);
    sub->add_option("--format", *format, "table or json");
    sub->footer("Example:\n  complycli audit show 1");
    sub->callback([seq, format, &ctx] { ctx.outcome = run_show(*seq, *format, ctx); });
  }
  {
    auto o = std::make_shared<VerifyCliOptions>();
    auto *sub = audit->add_subcommand("verify",
                                      "Check every hash, link and checkpoint; exit 1 at the first bad entry");
    sub->add_option("--anchor", o->anchors,
                    "A checkpoint kept elsewhere that the log must extend (repeatable)");
    sub->add_option("--pubkey", o->pubkey,
                    "Trust this verifier key (or a file holding it), not the workspace's key");
    sub->add_option("--witness-key", o->witness_keys,
                    "A witness's verifier key (or a file holding it) whose cosignature anchors need (repeatable)");
    sub->add_option("--witnesses", o->witnesses, "How many of the --witness-key witnesses must have cosigned "
                                                 "each anchor (default: all)");
    sub->add_flag("--quick", o->quick,
                  "Check the anchors against the newest checkpoint with consistency proofs, without re-walking "
                  "the entries");
    sub->add_option("--tiles", o->tiles,
                    "Verify the log published in this folder (`audit publish`) instead, without the database; "
                    "needs --pubkey");
    sub->add_option("--format", o->format, "table or json");
    sub->footer(
        "Example:\n  complycli audit verify --anchor checkpoint-2026-11.txt --pubkey \"$(cat log.vkey)\"");
    sub->callback([o, &ctx] { ctx.outcome = run_verify(*o, ctx); });
  }
  {
    auto output = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto witnesses = std::make_shared<std::vector<std::string>>();
    auto *sub = audit->add_subcommand("checkpoint", "Sign and store a checkpoint of the log now");
    sub->add_option("-o,--output", *output, "Write it to FILE (to keep somewhere else) instead of stdout");
    sub->add_flag("--force", *force, "Overwrite FILE");
    sub->add_option("--witness", *witnesses,
                    "Have this witness cosign it: a folder made by `complycli witness init`, or the http:// URL of a "
                    "`complycli witness serve` (repeatable)");
    sub->footer("Example:\n  complycli audit checkpoint -o checkpoint-$(date +%F).txt");
    sub->callback(
        [output, force, witnesses, &ctx] { ctx.outcome = run_checkpoint(*output, *force, *witnesses, ctx); });
  }
  {
    auto o = std::make_shared<ExportOptions>();
    auto *sub = audit->add_subcommand("export", "Write entries as JSON Lines, CSV or CEF for a SIEM");
    sub->add_option("--format", o->format, "jsonl, csv or cef");
    sub->add_option("--redact", o->redact, "Replace these detail fields' values with [REDACTED]")
        ->delimiter(',');
    add_filter_options(sub, o->filter, false);
    sub->add_option("-o,--output", o->output, "Where to write, - for stdout");
    sub->add_flag("--force", o->force, "Overwrite the output file");
    sub->footer(
        "Example:\n  complycli audit export --format cef --redact email,ip --since 2026-11-01 -o audit.cef");
    sub->callback([o, &ctx] { ctx.outcome = run_export(*o, ctx); });
  }
  {
    auto format = std::make_shared<std::string>("table");
    auto *sub =
        audit->add_subcommand("stats", "Counts, time span, head hash, checkpoints and the log's public key");
    sub->add_option("--format", *format, "table or json");
    sub->footer("Example:\n  complycli audit stats --format json");
    sub->callback([format, &ctx] { ctx.outcome = run_stats(*format, ctx); });
  }
  {
    auto *sub = audit->add_subcommand("pubkey", "Print the log's verifier key, for auditors to keep");
    sub->footer("Example:\n  complycli audit pubkey > log.vkey && complycli audit verify --pubkey log.vkey");
    sub->callback([&ctx] { ctx.outcome = run_pubkey(ctx); });
  }
  register_audit_proof(audit, ctx);
  register_audit_tiles(audit, ctx);
}

} // namespace complycli::cli
