#pragma once

// One error type for the whole library: a code (which decides the exit status) and a message.
// Library functions return Result<T>; only cli/main.cpp turns an Error into text and an exit code.

#include <fmt/format.h>

#include <expected>
#include <string>
#include <utility>

namespace complycli {

// What went wrong, in the terms of the exit-code table in man/complycli.1.
enum class Errc {
  usage,        // 2: bad flags or arguments
  parse,        // 2: an input file does not parse (message names file:line:column)
  config,       // 2: an input file parses but is invalid (profile, check, waiver, template)
  io,           // 3: could not do the job: I/O, permissions, missing or locked workspace
  auth_failed,  // 1: ciphertext or a signature failed authentication
  chain_broken, // 1: the audit log does not verify
  check_failed, // 1: a control failed
  interrupted,  // 130: SIGINT
  internal,     // 4: a bug
};

struct Error {
  Errc code;
  std::string message; // lower case, no final period
  std::string hint;    // optional: what to try instead
};

template <typename T>
using Result = std::expected<T, Error>;

// Build an unexpected Error with a formatted message: `return fail(Errc::io, "cannot open {}", path);`
template <typename... Args>
std::unexpected<Error> fail(Errc code, fmt::format_string<Args...> format, Args&&... args)
{
  return std::unexpected(Error{code, fmt::format(format, std::forward<Args>(args)...), {}});
}

// The same, with a hint line.
template <typename... Args>
std::unexpected<Error> fail_with_hint(Errc code, std::string hint, fmt::format_string<Args...> format,
                                      Args&&... args)
{
  return std::unexpected(Error{code, fmt::format(format, std::forward<Args>(args)...), std::move(hint)});
}

// Prefix an error's message with context: `return std::unexpected(with_context(r.error(), "reading x"))`.
inline Error with_context(Error error, std::string_view context)
{
  error.message = fmt::format("{}: {}", context, error.message);
  return error;
}

// The exit status an error code maps to (documented in man/complycli.1, EXIT STATUS).
int exit_status(Errc code);

} // namespace complycli

// Evaluate a Result expression; on error return it from the enclosing function, else yield its value.
// (GNU statement expression, as ccache's TRY: supported by g++ and clang.)
#define TRY(expr)                                                                                       \
  __extension__({                                                                                      \
    auto&& try_result_ = (expr);                                                                        \
    if (!try_result_) {                                                                                 \
      return std::unexpected(std::move(try_result_).error());                                          \
    }                                                                                                   \
    std::move(try_result_).value();                                                                     \
  })

// The same for Result<void>.
#define TRY_VOID(expr)                                                                                  \
  do {                                                                                                  \
    auto&& try_result_ = (expr);                                                                        \
    if (!try_result_) {                                                                                 \
      return std::unexpected(std::move(try_result_).error());                                          \
    }                                                                                                   \
  } while (false)
