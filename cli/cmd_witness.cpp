// complycli witness: a transparency log witness kept in a folder (C2SP tlog-witness, tlog-cosignature).
// It cosigns a log's checkpoint only when it is consistent with the last one it cosigned for that log.

#include "auditlog/auditlog.hpp"
#include "commands.hpp"
#include "util/file.hpp"
#include "witness/http.hpp"
#include "witness/witness.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

namespace complycli::cli {

namespace {

struct InitOptions {
  std::string folder, name;
  std::vector<std::string> logs;
};

Result<void> run_init(const InitOptions &o, const Context &ctx)
{
  std::vector<auditlog::PublicKey> logs;
  for (const auto &log : o.logs) {
    std::string text = log;
    if (log.find('+') == std::string::npos) {
      text = TRY(util::read_file(log));
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    auto key = auditlog::parse_vkey(text);
    if (!key) {
      return fail(Errc::usage, "--log {}: {}", log, key.error().message);
    }
    logs.push_back(*key);
  }
  const auto key = TRY(witness::init(o.folder, o.name, logs));
  TRY_VOID(emit("-", key.vkey() + "\n", util::Overwrite::no));
  ctx.info(fmt::format("Created the witness {} in {}; its verifier key is in {}/witness.vkey", o.name, o.folder,
                       o.folder));
  return {};
}

Result<void> run_cosign(const std::string &folder, const std::string &request_path, const Context &)
{
  std::string request;
  if (request_path == "-") {
    request.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    request = TRY(util::read_file(request_path));
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto result = TRY(witness::add_checkpoint(folder, request, static_cast<uint64_t>(now)));
  switch (result.status) {
  case 200:
    return emit("-", result.body, util::Overwrite::no);
  case 409:
    return fail_with_hint(Errc::chain_broken, "send the consistency proof from that size",
                          "the witness last cosigned size {}, not the request's old size",
                          result.body.substr(0, result.body.size() - 1));
  case 422:
  case 403:
    return fail(Errc::chain_broken, "the witness refuses: {}", result.body.substr(0, result.body.size() - 1));
  default:
    return fail(Errc::usage, "{}: {} (HTTP {})", request_path, result.body.substr(0, result.body.size() - 1),
                result.status);
  }
}

// witness serve: the tlog-witness HTTP interface until interrupted. The bound address goes to stdout
// (the data: with --listen HOST:0 it names the port picked), one line per request to stderr.
Result<void> run_serve(const std::string &folder, const std::string &address, const Context &ctx)
{
  TRY(witness::public_key(folder));
  const auto listener = TRY(witness::Listener::open(address));
  TRY_VOID(emit("-", fmt::format("listening on http://{}\n", listener.address()), util::Overwrite::no));
  std::fflush(stdout);
  return witness::serve(listener, folder, [&ctx](std::string_view line) { ctx.info(line); });
}

} // namespace

void register_witness(CLI::App &app, Context &ctx)
{
  auto *cmd = app.add_subcommand("witness", "A transparency log witness: cosigns only consistent checkpoints");
  cmd->require_subcommand(1);
  {
    auto o = std::make_shared<InitOptions>();
    auto *sub = cmd->add_subcommand("init", "Create a witness folder with a new Ed25519 cosigning key");
    sub->add_option("folder", o->folder, "The witness's folder")->required();
    sub->add_option("--name", o->name, "The witness's name, e.g. witness.example.com/w1")->required();
    sub->add_option("--log", o->logs, "A log's verifier key (or a file holding it) to witness (repeatable)")
        ->required();
    sub->footer("Example:\n  complycli witness init ~/witness --name audit.example.com/w1 --log log.vkey");
    sub->callback([o, &ctx] { ctx.outcome = run_init(*o, ctx); });
  }
  {
    auto folder = std::make_shared<std::string>();
    auto request = std::make_shared<std::string>("-");
    auto *sub = cmd->add_subcommand(
        "cosign", "Answer a tlog-witness add-checkpoint request: print the cosignature, or exit 1 when the "
                  "checkpoint is not consistent with the last one cosigned (a fork or split view)");
    sub->add_option("folder", *folder, "The witness's folder")->required();
    sub->add_option("request", *request, "The request body (old size, proof, blank line, checkpoint), - for stdin");
    sub->footer("Example:\n  complycli witness cosign ~/witness request.txt >> checkpoint.txt");
    sub->callback([folder, request, &ctx] { ctx.outcome = run_cosign(*folder, *request, ctx); });
  }
  {
    auto folder = std::make_shared<std::string>();
    auto listen = std::make_shared<std::string>("127.0.0.1:8080");
    auto *sub = cmd->add_subcommand(
        "serve", "Serve the tlog-witness HTTP interface (POST /add-checkpoint) until interrupted");
    sub->add_option("folder", *folder, "The witness's folder")->required();
    sub->add_option("--listen", *listen, "HOST:PORT to listen on, a numeric IPv4 address (PORT 0: any free port)")
        ->capture_default_str();
    sub->footer("Example:\n  complycli witness serve ~/witness --listen 127.0.0.1:8080 &\n"
                "  complycli audit checkpoint --witness http://127.0.0.1:8080");
    sub->callback([folder, listen, &ctx] { ctx.outcome = run_serve(*folder, *listen, ctx); });
  }
}

} // namespace complycli::cli
