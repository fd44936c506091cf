#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sodium.h>

#include <csignal>

// libsodium must be initialised before any test uses it.
static const int sodium_ready = sodium_init();

// A test that writes to a closed pipe must see EPIPE, not die of SIGPIPE.
static const auto sigpipe_ignored = std::signal(SIGPIPE, SIG_IGN);
