// The browser rules for security headers (evidence/http_rules.hpp): Fetch's nosniff, the Referrer
// Policy header's last known token, and CSP3's inline-script rules. The cases come from the
// specifications and from web-platform-tests (fetch/nosniff/resources/x-content-type-options.json).

#include "evidence/http_rules.hpp"

#include <doctest/doctest.h>

using namespace complycli::evidence;

TEST_CASE("http rules: nosniff reads the first value only (Fetch, WPT x-content-type-options.json)")
{
  CHECK(nosniff("nosniff"));
  CHECK(nosniff("NOSNIFF"));
  CHECK(nosniff("  nosniff\t"));
  CHECK(nosniff("nosniff,,@#$#%%&^&^*()()11!"));
  CHECK(nosniff("nosniff, no"));
  CHECK_FALSE(nosniff("@#$#%%&^&^*()()11!,nosniff"));
  CHECK_FALSE(nosniff("no, nosniff"));
  CHECK_FALSE(nosniff(",nosniff"));
  CHECK_FALSE(nosniff(", nosniff")); // an empty header line, then nosniff
  CHECK_FALSE(nosniff("'NosniFF'"));
  CHECK_FALSE(nosniff("\"nosniFF\""));
  CHECK_FALSE(nosniff("nosniff\v"));
  CHECK_FALSE(nosniff(""));
}

TEST_CASE("http rules: Referrer-Policy is the last token a browser knows")
{
  CHECK(referrer_policy("no-referrer") == "no-referrer");
  CHECK(referrer_policy("origin-when-cross-origin, strict-origin-when-cross-origin") == "strict-origin-when-cross-origin");
  CHECK(referrer_policy("no-referrer, a-policy-from-the-future") == "no-referrer");
  CHECK(referrer_policy("strict-origin-when-cross-origin, unsafe-url") == "unsafe-url");
  CHECK(referrer_policy("Same-Origin") == "same-origin");
  CHECK_FALSE(referrer_policy("").has_value());
  CHECK_FALSE(referrer_policy("never, always").has_value());
}

TEST_CASE("http rules: CSP inline scripts follow CSP3's source-list rules")
{
  // 'unsafe-inline' counts only without a nonce, a hash or 'strict-dynamic'.
  CHECK(csp_allows_inline_script("script-src 'self' 'unsafe-inline'"));
  CHECK_FALSE(csp_allows_inline_script("script-src 'nonce-r4nd0m' 'unsafe-inline' 'strict-dynamic' https:; object-src 'none'"));
  CHECK_FALSE(csp_allows_inline_script("script-src 'self' 'sha256-B2yPHKaXnvFWtRChIbabYmUBFZdVfKKXHbWtWidDVF8=' 'unsafe-inline'"));
  CHECK_FALSE(csp_allows_inline_script("script-src 'unsafe-inline' 'strict-dynamic'"));
  // script-src-elem, then script-src, then default-src govern scripts; style-src does not.
  CHECK_FALSE(csp_allows_inline_script("default-src 'self'; style-src 'self' 'unsafe-inline'"));
  CHECK(csp_allows_inline_script("default-src 'self' 'unsafe-inline'; style-src 'self'"));
  CHECK_FALSE(csp_allows_inline_script("default-src 'self' 'unsafe-inline'; script-src 'self'"));
  CHECK(csp_allows_inline_script("script-src 'none'; script-src-elem 'unsafe-inline'"));
  // A repeated directive is ignored; names are case-insensitive.
  CHECK_FALSE(csp_allows_inline_script("SCRIPT-SRC 'self'; script-src 'unsafe-inline'"));
  // Every policy of a list is enforced: one that blocks inline scripts is enough.
  CHECK_FALSE(csp_allows_inline_script("script-src 'unsafe-inline', script-src 'self'"));
  CHECK(csp_allows_inline_script("script-src 'unsafe-inline', img-src 'self'"));
  // No directive for scripts: nothing restricts them.
  CHECK(csp_allows_inline_script("frame-ancestors 'none'"));
  CHECK(csp_allows_inline_script(""));
}
