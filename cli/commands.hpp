#pragma once

// Every subcommand registers itself with one function; main.cpp calls each in this order, which is
// the order `complycli --help` lists them in.

#include "context.hpp"

#include <CLI/CLI.hpp>

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

inline constexpr Registrar registrars[] = {
    register_init,
    register_profile,
    register_matter,
    register_identity,
    register_encrypt,
    register_decrypt,
    register_reencrypt,
    register_inspect,
    register_audit,
    register_check,
    register_register,
    register_dpa,
    register_trust_page,
    register_answer,
    register_witness,
    register_completion,
    register_verify,
    register_store,
};

} // namespace complycli::cli
