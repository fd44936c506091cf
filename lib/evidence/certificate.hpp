#pragma once

// X.509 certificates into `tls_certificates` (internal to lib/evidence).

#include "evidence/loaders.hpp"

#include <openssl/x509.h>

namespace complycli::evidence {

// Record one certificate: subject, expiry date, days left from the run's today, key type and size.
Result<void> add_certificate(LoadState& state, const std::string& resource, X509* cert, const std::string& file,
                             Value line);

// Every certificate of a PEM file (a chain gives one row each).
Result<void> load_certificates(LoadState& state, const std::filesystem::path& file, const std::string& text);

} // namespace complycli::evidence
