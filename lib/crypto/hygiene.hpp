#pragma once

// Process-wide secret hygiene, done once at start by cli/main.cpp: no core dumps (which would hold
// passphrases and keys), and passphrase variables moved out of the environment into secure memory so
// that no child process (a hook, an editor, a pager) inherits them.

#include "core/error.hpp"
#include "crypto/secret.hpp"

#include <optional>

namespace complycli::crypto {

// prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE 0 (soft and hard). Errc::io if either fails.
Result<void> disable_core_dumps();

// Move environment variable `name` (if set and not empty) into secure memory: the value is copied,
// its bytes in the environment block are wiped and the variable is unset. Later calls for the same
// name return the captured copy; nullopt if it was never set.
Result<std::optional<SecretBytes>> take_secret_variable(const char* name);

} // namespace complycli::crypto
