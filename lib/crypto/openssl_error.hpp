#pragma once

// The text of OpenSSL's most recent error, for messages (the error queue is cleared).

#include <string>

namespace complycli::crypto {

// Pop OpenSSL's oldest queued error as text, clear the rest; "unknown OpenSSL error" if none.
std::string openssl_error();

} // namespace complycli::crypto
