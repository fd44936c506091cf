#pragma once

// The live TLS probe: connect to https://HOST[:PORT] with OpenSSL, try each protocol version from
// TLS 1.0 to 1.3 alone, record the negotiated cipher, the certificate's expiry and key size, and the
// response headers of GET / (internal to lib/evidence).

#include "evidence/loaders.hpp"

#include <string>

namespace complycli::evidence {

// Probe `url` and insert rows into tls_endpoints, tls_certificates, http_endpoints and http_headers.
// A server that cannot be reached becomes an evidence error, not a failure of the run.
Result<void> probe(LoadState& state, const std::string& url);

} // namespace complycli::evidence
