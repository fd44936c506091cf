#pragma once

// How browsers read the security headers the checks judge (Fetch, Referrer Policy, CSP Level 3), as
// plain functions and as SQLite functions installed in the evidence database (docs/checks.md):
//   nosniff(value)                  1 when X-Content-Type-Options turns sniffing off, else 0
//   referrer_policy(value)          the policy a browser applies for a Referrer-Policy value, or NULL
//   csp_allows_inline_script(value) 1 when a Content-Security-Policy lets inline scripts run, else 0
// A value is every line of one header joined with ", " (RFC 9110 section 5.3), as browsers see it.

#include "core/error.hpp"

#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>

namespace complycli::evidence {

// Fetch's "determine nosniff": the first of the comma-separated values is `nosniff` (any case).
bool nosniff(std::string_view value);

// The Referrer Policy spec's "parse a referrer policy from a Referrer-Policy header": the last token
// that is a policy the browser knows (lower case); unknown tokens are ignored. nullopt when none.
std::optional<std::string> referrer_policy(std::string_view value);

// Whether a serialized CSP list (policies separated by commas) lets an inline <script> run: each policy
// is enforced, so inline scripts run only if every policy allows them. A policy allows them when the
// directive that governs them (script-src-elem, else script-src, else default-src) is absent, or lists
// 'unsafe-inline' without a nonce, a hash or 'strict-dynamic' (CSP3: those make browsers ignore
// 'unsafe-inline'). An empty value (no policy) allows them.
bool csp_allows_inline_script(std::string_view value);

// Install the three SQLite functions above on `db`.
Result<void> register_http_functions(sqlite3* db);

} // namespace complycli::evidence
