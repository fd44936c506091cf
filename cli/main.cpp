// complycli: the entry point. Parses the global options, lets each subcommand register itself, runs
// the chosen one and turns its outcome into stderr text and an exit status (the only place that does).

#include "audit_hook.hpp"
#include "crypto/hygiene.hpp"
#include "commands.hpp"
#include "context.hpp"
#include "util/cleanup.hpp"
#include "util/env.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <sqlite3.h>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

namespace {

using namespace complycli;

// SIGINT, SIGTERM, SIGHUP and SIGPIPE (a reader such as `head` closed our stdout): remove temporary
// files and exit with 128 + the signal number (130 for Ctrl-C), as a shell reports it.
extern "C" void on_interrupt(int signal_number)
{
  util::remove_registered_files();
  ::_exit(128 + signal_number);
}

void install_signal_handlers()
{
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGHUP, &action, nullptr);
  ::sigaction(SIGPIPE, &action, nullptr);
}

std::string version_text()
{
  return fmt::format("complycli {}\nOpenSSL {}\nlibsodium {}\nSQLite {}", COMPLYCLI_VERSION,
                     OpenSSL_version(OPENSSL_VERSION_STRING), sodium_version_string(), sqlite3_libversion());
}

// Thrown by the global options' callback to stop before any command runs (see cli::check_actor).
struct ActorRefused {
  Error error;
};

void print_error(const Error& error, bool colour)
{
  fmt::print(stderr, "complycli: {} {}\n", core::paint("error:", core::Colour::red, colour), error.message);
  if (!error.hint.empty()) {
    fmt::print(stderr, "complycli: hint: {}\n", error.hint);
  }
}

// What `complycli` alone prints (exit 0, as --help): the first commands to try.
constexpr const char* getting_started =
    "complycli: make a security page's promises true and provable.\n"
    "\n"
    "Get started (the example company is examples/northwind-legal in the source tree, and\n"
    "/usr/share/doc/complycli/examples/northwind-legal when installed from the .deb):\n"
    "  complycli init                          make a workspace (.complycli/) in this folder\n"
    "  complycli check EXAMPLE --format html -o report.html\n"
    "                                          check configs and a profile, open report.html\n"
    "  complycli controls --framework soc2     which checks evidence which SOC 2 controls\n"
    "  complycli matter create NAME            a client matter with its own key, then\n"
    "  complycli encrypt --matter NAME FILE    encrypt a client file into FILE.cmply\n"
    "  source <(complycli completion bash)     Tab-complete commands, options and matters\n"
    "\n"
    "All commands: complycli --help; one command: complycli COMMAND --help; exit codes: man complycli.\n";

// The registration that adds the command this process runs (commands.hpp): the first argument that is
// neither a global option nor the value of one. Null, so that every command is added, when there is no
// such argument, when no registration adds it, and for `completion`, which lists every command.
const cli::Registration* registration_for(int argc, char** argv)
{
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--home" || arg == "--actor") {
      ++i;
      continue;
    }
    if (arg.starts_with('-')) {
      if (arg == "--") {
        return nullptr;
      }
      continue;
    }
    for (const auto& registration : cli::registrars) {
      std::string_view commands = registration.commands;
      while (!commands.empty()) {
        const auto space = commands.find(' ');
        if (commands.substr(0, space) == arg) {
          return registration.add == cli::register_completion ? nullptr : &registration;
        }
        commands = space == std::string_view::npos ? std::string_view() : commands.substr(space + 1);
      }
    }
    return nullptr;
  }
  return nullptr;
}

int run(int argc, char** argv)
{
  if (argc == 1) {
    std::fputs(getting_started, stdout);
    return 0;
  }
  cli::Context ctx;
  ctx.outcome = {};

  CLI::App app{"complycli: make a security page's promises true and provable.\n"
               "Encrypts client matters, keeps a tamper-evident audit log, checks configurations\n"
               "against SOC 2 controls and renders the documents that cite the evidence.",
               "complycli"};
  app.set_version_flag("-V,--version", version_text, "Print the version of complycli and its libraries");
  app.fallthrough();
  app.require_subcommand(1);
  app.footer("Run `complycli COMMAND --help` for a command's options; `man complycli` for exit codes.\n"
             "Example:\n  complycli init && complycli profile validate examples/northwind-legal/profile.yaml\n");

  std::string home;
  std::string actor;
  app.add_option("--home", home, "Workspace folder (default: COMPLYCLI_HOME, else the nearest .complycli/ above)")
      ->envname("COMPLYCLI_HOME");
  app.add_option("--actor", actor, "Who is acting, for the audit log (default: COMPLYCLI_ACTOR, else login name)")
      ->envname("COMPLYCLI_ACTOR");
  app.add_flag("-q,--quiet", ctx.quiet, "Print only data and errors");
  app.add_flag("--no-color", ctx.no_color, "Never colour output (also: NO_COLOR set to anything)");

  if (const auto* only = registration_for(argc, argv)) {
    only->add(app, ctx);
  } else {
    for (const auto& registration : cli::registrars) {
      registration.add(app, ctx);
    }
  }
  // Global options are parsed before any subcommand callback runs.
  app.parse_complete_callback([&] {
    if (!home.empty()) {
      ctx.home = home;
    }
    ctx.actor = actor.empty() ? util::login_name() : actor;
    // An AI worker the workspace's profile does not list, or lists as retired, may not act at all.
    if (auto workspace = ctx.workspace(); workspace && ctx.actor.starts_with("worker:")) {
      if (auto allowed = cli::check_actor(*workspace, ctx.actor); !allowed) {
        throw ActorRefused{allowed.error()};
      }
    }
    if (util::get_env("NO_COLOR")) {
      ctx.no_color = true;
    }
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const ActorRefused& e) {
    print_error(e.error, ctx.colour_stderr());
    return exit_status(e.error.code);
  } catch (const CLI::ParseError& e) {
    print_error(Error{Errc::usage, e.what(), "run `complycli --help` (or `complycli COMMAND --help`)"},
                !ctx.no_color && util::is_colour_terminal(STDERR_FILENO) && !util::get_env("NO_COLOR"));
    return 2;
  }

  if (!ctx.outcome) {
    print_error(ctx.outcome.error(), ctx.colour_stderr());
    return exit_status(ctx.outcome.error().code);
  }
  return ctx.exit_override >= 0 ? ctx.exit_override : 0;
}

} // namespace

int main(int argc, char** argv)
{
  install_signal_handlers();
  if (sodium_init() < 0) {
    std::fputs("complycli: error: libsodium failed to initialise\n", stderr);
    return 4;
  }
  // Secret hygiene (crypto/hygiene.hpp): no core dumps; passphrase variables out of the environment.
  if (auto hardened = complycli::crypto::disable_core_dumps(); !hardened) {
    std::fprintf(stderr, "complycli: error: %s\n", hardened.error().message.c_str());
    return 3;
  }
  for (const char* name : {"COMPLYCLI_PASSPHRASE", "COMPLYCLI_NEW_PASSPHRASE"}) {
    if (!complycli::crypto::take_secret_variable(name)) {
      std::fputs("complycli: error: cannot allocate secure memory\n", stderr);
      return 3;
    }
  }
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "complycli: error: internal error: %s\ncomplycli: hint: this is a bug; please report it\n",
                 e.what());
    return 4;
  } catch (...) {
    std::fputs("complycli: error: internal error\ncomplycli: hint: this is a bug; please report it\n", stderr);
    return 4;
  }
}
