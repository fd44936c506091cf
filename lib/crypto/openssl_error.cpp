#include "crypto/openssl_error.hpp"

#include <openssl/err.h>

namespace complycli::crypto {

std::string openssl_error()
{
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

} // namespace complycli::crypto
