#pragma once

// Every subcommand registers itself with one function, listed below with the top-level commands it
// adds. main.cpp calls only the one that adds the command a process runs (building all of them took
// ~0.9 ms of every process's start), and all of them, in this order, for `complycli --help`, `complycli
// completion` and anything it does not recognise (so CLI11's own errors and suggestions are unchanged).

#include "context.hpp"

#include <CLI/CLI.hpp>

#include <string_view>

namespace complycli::cli {

void register_init(CLI::App& app, Context& ctx);
void register_check(CLI::App& app, Context& ctx);
void register_profile(CLI::App& app, Context& ctx);
void register_inspect(CLI::App& app, Context& ctx);
void register_register(CLI::App& app, Context& ctx);
void register_dpa(CLI::App& app, Context& ctx);
void register_trust_page(CLI::App& app, Context& ctx);
void register_answer(CLI::App& app, Context& ctx);
void register_audit(CLI::App& app, Context& ctx);
void register_matter(CLI::App& app, Context& ctx);
void register_identity(CLI::App& app, Context& ctx);
void register_encrypt(CLI::App& app, Context& ctx);
void register_decrypt(CLI::App& app, Context& ctx);
void register_reencrypt(CLI::App& app, Context& ctx);
void register_witness(CLI::App& app, Context& ctx);
void register_completion(CLI::App& app, Context& ctx);
void register_verify(CLI::App& app, Context& ctx);
void register_store(CLI::App& app, Context& ctx);

using Registrar = void (*)(CLI::App&, Context&);

struct Registration {
  std::string_view commands; // the top-level commands `add` adds, separated by spaces
  Registrar add;
};
inline constexpr Registration registrars[] = {
    {"init", register_init},
    {"profile", register_profile},
    {"matter", register_matter},
    {"identity", register_identity},
    {"encrypt", register_encrypt},
    {"decrypt", register_decrypt},
    {"reencrypt", register_reencrypt},
    {"inspect", register_inspect},
    {"audit", register_audit},
    {"check checks controls query", register_check},
    {"register", register_register},
    {"dpa", register_dpa},
    {"trust-page", register_trust_page},
    {"answer", register_answer},
    {"witness", register_witness},
    {"completion", register_completion},
    {"verify", register_verify},
    {"store", register_store},
};

} // namespace complycli::cli
