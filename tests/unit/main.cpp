#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sodium.h>

// libsodium must be initialised before any test uses it.
static const int sodium_ready = sodium_init();
