// complycli identity: X25519 identities for customer-managed keys (`identity new`, `identity show`).

#include "commands.hpp"
#include "matter_support.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

#include <sodium.h>

#include <memory>

namespace complycli::cli {

namespace {

struct IdentityOptions {
  std::string output;
  std::string file;
  bool force = false;
};

Result<void> run_new(const IdentityOptions& options, const Context& ctx)
{
  const auto identity = TRY(keystore::generate_identity());
  auto text = keystore::identity_file_text(identity, util::now_rfc3339());
  auto written = util::write_file_atomic(options.output, text,
                                         options.force ? util::Overwrite::yes : util::Overwrite::no, 0600);
  sodium_memzero(text.data(), text.size());
  TRY_VOID(written);
  const auto public_key = keystore::encode_public_key(identity.public_key);
  fmt::print("{}\n", public_key);
  ctx.info(fmt::format("Wrote the identity to {} (mode 0600): keep it secret; share the public key above",
                       options.output));
  if (auto workspace = ctx.workspace()) {
    ctx.record(*workspace, core::Event{"identity.new", options.output, core::Outcome::ok, {{"public_key", public_key}}});
  }
  return {};
}

Result<void> run_show(const IdentityOptions& options)
{
  const auto identity = TRY(keystore::load_identity(options.file));
  fmt::print("{}\n", keystore::encode_public_key(identity.public_key));
  return {};
}

} // namespace

void register_identity(CLI::App& app, Context& ctx)
{
  auto options = std::make_shared<IdentityOptions>();
  auto* identity = app.add_subcommand("identity", "Create and show X25519 identities for customer-managed keys");
  identity->require_subcommand(1);
  identity->footer("Example:\n  complycli identity new -o customer.key\n  complycli identity show customer.key");

  auto* create = identity->add_subcommand("new", "Write a new identity file (mode 0600) and print its public key");
  create->add_option("-o,--output", options->output, "The identity file to write")->required();
  create->add_flag("--force", options->force, "Replace an existing file");
  create->footer("Example:\n  complycli identity new -o customer.key");
  create->callback([options, &ctx] { ctx.outcome = run_new(*options, ctx); });

  auto* show = identity->add_subcommand("show", "Print the public key of an identity file");
  show->add_option("FILE", options->file, "The identity file")->required();
  show->footer("Example:\n  complycli identity show customer.key");
  show->callback([options, &ctx] { ctx.outcome = run_show(*options); });
}

} // namespace complycli::cli
