#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sodium.h>

#include <csignal>
#include <cstdlib>

// Tests create passphrase slots with the INTERACTIVE Argon2id costs, below the floor (keystore.hpp).
static const int weak_kdf_allowed = ::setenv("COMPLYCLI_TEST_WEAK_KDF", "1", 1);

// libsodium must be initialised before any test uses it.
static const int sodium_ready = sodium_init();

// A test that writes to a closed pipe must see EPIPE, not die of SIGPIPE.
static const auto sigpipe_ignored = std::signal(SIGPIPE, SIG_IGN);
