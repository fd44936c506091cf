// complycli audit prove, verify-proof, consistency: Merkle inclusion and consistency proofs of the
// audit log (C2SP tlog-proof, RFC 6962). verify-proof works offline, without a workspace, given --pubkey.

#include "auditlog/auditlog.hpp"
#include "commands.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"
#include "witness/witness.hpp"

#include <iostream>
#include <iterator>
#include <memory>

namespace complycli::cli {

Result<std::vector<witness::CosignerKey>> load_witness_keys(const std::vector<std::string> &values); // cmd_audit.cpp

namespace {

using auditlog::AuditLog;

Result<std::string> read_input(const std::string &path)
{
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  return util::read_file(path);
}

// --pubkey: a vkey, or a file holding one; else the workspace log's key (as recorded in audit.db).
Result<auditlog::PublicKey> trusted_key(const std::string &pubkey, const Context &ctx)
{
  if (!pubkey.empty()) {
    std::string text = pubkey;
    if (pubkey.find('+') == std::string::npos) {
      text = TRY(util::read_file(pubkey));
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    auto key = auditlog::parse_vkey(text);
    if (!key) {
      return fail(Errc::usage, "--pubkey {}: {}", pubkey, key.error().message);
    }
    return *key;
  }
  const auto workspace = TRY(ctx.workspace());
  auto log = TRY(AuditLog::open(workspace, util::Access::read_only));
  return log.public_key();
}

// --- prove ------------------------------------------------------------------------------------------

struct ProveOptions {
  int64_t seq = 0;
  std::string output = "-";
  std::string checkpoint;
  bool force = false;
};

Result<void> run_prove(const ProveOptions &o, const Context &ctx)
{
  const auto workspace = TRY(ctx.workspace());
  std::optional<std::string> note;
  if (!o.checkpoint.empty()) {
    note = TRY(util::read_file(o.checkpoint));
  }
  // Signing a checkpoint may be needed (none covers the entry yet): open read-write when the log takes
  // writes, read-only otherwise.
  const auto access = (!note && AuditLog::check_writable(workspace)) ? util::Access::read_write
                                                                     : util::Access::read_only;
  auto log = TRY(AuditLog::open(workspace, access));
  const auto proof = TRY(log.prove(o.seq, note));
  TRY_VOID(emit(o.output, auditlog::format_proof(proof), o.force ? util::Overwrite::yes : util::Overwrite::no));
  if (o.output != "-") {
    ctx.info(fmt::format("Wrote the inclusion proof of entry {} to {}", o.seq, o.output));
  }
  return {};
}

// --- verify-proof -----------------------------------------------------------------------------------

struct VerifyProofOptions {
  std::string proof;
  std::string entry;
  int64_t seq = 0;
  std::string pubkey;
  std::string format = "table";
  std::vector<std::string> witness_keys;
  int witnesses = -1;
};

Result<void> run_verify_proof(const VerifyProofOptions &o, const Context &ctx)
{
  const auto fmt_choice = TRY(parse_format(o.format));
  if (o.entry.empty() == (o.seq == 0)) {
    return fail(Errc::usage, "give the entry with exactly one of --entry JSON and --seq N");
  }
  const auto text = TRY(read_input(o.proof));
  auto proof = auditlog::parse_proof(text);
  if (!proof) {
    return fail(Errc::parse, "{}:{}", o.proof, proof.error().message);
  }
  const auto key = TRY(trusted_key(o.pubkey, ctx));
  auditlog::Entry entry;
  if (!o.entry.empty()) {
    const std::string json_text = o.entry.starts_with("{") ? o.entry : TRY(read_input(o.entry));
    auto json = nlohmann::json::parse(json_text, nullptr, false);
    if (json.is_discarded()) {
      return fail(Errc::parse, "--entry {}: not JSON", o.entry.starts_with("{") ? "(argument)" : o.entry);
    }
    entry = TRY(auditlog::entry_from_json(json));
  } else {
    const auto workspace = TRY(ctx.workspace());
    auto log = TRY(AuditLog::open(workspace, util::Access::read_only));
    const auto found = TRY(log.get(o.seq));
    if (!found) {
      return fail(Errc::usage, "--seq {}: the workspace's log has no such entry", o.seq);
    }
    entry = *found;
  }
  if (proof->index != entry.seq - 1) {
    return fail(Errc::chain_broken, "the proof is for entry {} (index {}), not entry {}", proof->index + 1,
                proof->index, entry.seq);
  }
  const auto data = auditlog::entry_leaf_data(entry);
  const auto leaf = auditlog::leaf_hash(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  const auto body = TRY(auditlog::verify_proof(*proof, leaf, key));
  int cosigned = 0;
  if (!o.witness_keys.empty()) {
    const auto keys = TRY(load_witness_keys(o.witness_keys));
    const int needed = o.witnesses < 0 ? static_cast<int>(keys.size()) : o.witnesses;
    cosigned = witness::count_cosignatures(proof->checkpoint, keys);
    if (cosigned < needed) {
      return fail(Errc::chain_broken, "the checkpoint is cosigned by {} of the {} witnesses given, {} required",
                  cosigned, keys.size(), needed);
    }
  }
  if (fmt_choice == core::Format::json) {
    nlohmann::ordered_json out;
    out["schema_version"] = 1;
    out["verified"] = true;
    out["seq"] = entry.seq;
    out["tree_size"] = body.size;
    out["root"] = auditlog::base64_encode(*body.root);
    out["origin"] = body.origin;
    out["checkpoint_time"] = body.time;
    out["witnesses"] = cosigned;
    return emit("-", out.dump(2) + "\n", util::Overwrite::no);
  }
  return emit("-",
              fmt::format("verified: entry {} is in the log {} of {} entries (root {}, signed {})\n", entry.seq,
                          body.origin, body.size, auditlog::base64_encode(*body.root), body.time),
              util::Overwrite::no);
}

// --- consistency ------------------------------------------------------------------------------------

struct ConsistencyOptions {
  std::string old_checkpoint, new_checkpoint, proof, pubkey;
};

Result<auditlog::CheckpointBody> open_checkpoint_file(const std::string &path, const auditlog::PublicKey &key)
{
  const auto note = TRY(util::read_file(path));
  auto body = auditlog::open_checkpoint(note, key);
  if (!body) {
    return std::unexpected(with_context(body.error(), path));
  }
  if (!body->root) {
    return fail_with_hint(Errc::usage, "make a new checkpoint with `complycli audit checkpoint -o FILE`",
                          "{}: a version 1 checkpoint (no Merkle root) has no consistency proofs", path);
  }
  return *body;
}

Result<void> run_consistency(const ConsistencyOptions &o, const Context &ctx)
{
  const auto key = TRY(trusted_key(o.pubkey, ctx));
  const auto old_body = TRY(open_checkpoint_file(o.old_checkpoint, key));
  std::optional<auditlog::CheckpointBody> new_body;
  if (!o.new_checkpoint.empty()) {
    new_body = TRY(open_checkpoint_file(o.new_checkpoint, key));
  }
  if (!o.proof.empty()) { // offline: check a proof someone gave us
    if (!new_body) {
      return fail(Errc::usage, "--proof needs both checkpoints, OLD and NEW");
    }
    const auto proof_text = TRY(read_input(o.proof));
    const auto hashes = TRY(auditlog::parse_hashes(proof_text));
    if (!auditlog::verify_consistency(old_body.size, new_body->size, *old_body.root, *new_body->root, hashes)) {
      return fail(Errc::chain_broken, "the log of {} entries does not extend the log of {} entries: {} is not a "
                                      "consistency proof between {} and {}",
                  new_body->size, old_body.size, o.proof, o.old_checkpoint, o.new_checkpoint);
    }
    return emit("-", fmt::format("consistent: {} entries extend {}\n", new_body->size, old_body.size),
                util::Overwrite::no);
  }
  const auto workspace = TRY(ctx.workspace());
  auto log = TRY(AuditLog::open(workspace, util::Access::read_only));
  if (!new_body) {
    const auto latest = TRY(log.latest_checkpoint());
    auto opened = latest ? auditlog::open_checkpoint(latest->note, key) : Result<auditlog::CheckpointBody>();
    if (!latest || !opened || !opened->root) {
      return fail_with_hint(Errc::usage, "run `complycli audit checkpoint` first",
                            "the log has no stored checkpoint with a Merkle root to prove consistency to");
    }
    new_body = *opened;
  }
  const auto hashes = TRY(log.consistency_proof(old_body.size, new_body->size));
  if (!auditlog::verify_consistency(old_body.size, new_body->size, *old_body.root, *new_body->root, hashes)) {
    return fail(Errc::chain_broken,
                "the log does not extend {}: its tree of {} entries is not consistent with the one signed there",
                o.old_checkpoint, old_body.size);
  }
  return emit("-", auditlog::format_hashes(hashes), util::Overwrite::no);
}

} // namespace

void register_audit_proof(CLI::App *audit, Context &ctx)
{
  {
    auto o = std::make_shared<ProveOptions>();
    auto *sub = audit->add_subcommand("prove", "Write a C2SP tlog proof that an entry is in the log");
    sub->add_option("seq", o->seq, "Sequence number of the entry")->required()->check(CLI::PositiveNumber);
    sub->add_option("-o,--output", o->output, "Write the proof to FILE instead of stdout");
    sub->add_flag("--force", o->force, "Overwrite FILE");
    sub->add_option("--checkpoint", o->checkpoint,
                    "Prove against this signed checkpoint (default: the newest stored one, made now if none "
                    "covers the entry)");
    sub->footer("Example:\n  complycli audit prove 42 -o entry-42.tlog-proof");
    sub->callback([o, &ctx] { ctx.outcome = run_prove(*o, ctx); });
  }
  {
    auto o = std::make_shared<VerifyProofOptions>();
    auto *sub = audit->add_subcommand(
        "verify-proof", "Check a tlog proof for an entry offline; exit 1 when it does not prove the entry");
    sub->add_option("proof", o->proof, "The .tlog-proof file, - for stdin")->required();
    sub->add_option("--entry", o->entry,
                    "The entry as `audit show --format json` prints it: inline JSON, or a file (- for stdin)");
    sub->add_option("--seq", o->seq, "Take entry N from the workspace's log")->check(CLI::PositiveNumber);
    sub->add_option("--pubkey", o->pubkey, "Trust this verifier key (or a file holding it)");
    sub->add_option("--witness-key", o->witness_keys,
                    "A witness's verifier key (or a file holding it) to count cosignatures of (repeatable)");
    sub->add_option("--witnesses", o->witnesses, "How many of them must have cosigned (default: all)");
    sub->add_option("--format", o->format, "table or json");
    sub->footer("Example:\n  complycli audit verify-proof entry-42.tlog-proof --entry entry-42.json "
                "--pubkey log.vkey");
    sub->callback([o, &ctx] { ctx.outcome = run_verify_proof(*o, ctx); });
  }
  {
    auto o = std::make_shared<ConsistencyOptions>();
    auto *sub = audit->add_subcommand(
        "consistency", "Print an RFC 6962 consistency proof between two checkpoints (or check one with --proof)");
    sub->add_option("old", o->old_checkpoint, "The older checkpoint file")->required();
    sub->add_option("new", o->new_checkpoint, "The newer checkpoint file (default: the newest stored one)");
    sub->add_option("--proof", o->proof, "Check this proof (one base64 hash a line) offline instead");
    sub->add_option("--pubkey", o->pubkey, "Trust this verifier key (or a file holding it)");
    sub->footer("Example:\n  complycli audit consistency old.txt new.txt > proof.txt\n"
                "  complycli audit consistency old.txt new.txt --proof proof.txt --pubkey log.vkey");
    sub->callback([o, &ctx] { ctx.outcome = run_consistency(*o, ctx); });
  }
}

} // namespace complycli::cli
