#include "crypto/hygiene.hpp"

#include <sodium.h>

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace complycli::crypto {

Result<void> disable_core_dumps()
{
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return fail(Errc::io, "cannot disable core dumps: {}", std::strerror(errno));
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return fail(Errc::io, "cannot mark the process not dumpable: {}", std::strerror(errno));
  }
  return {};
}

Result<std::optional<SecretBytes>> take_secret_variable(const char* name)
{
  static std::map<std::string, SecretBytes> captured;
  if (char* value = std::getenv(name); value != nullptr) {
    const std::size_t length = std::strlen(value);
    if (length > 0) {
      auto copy = TRY(SecretBytes::copy_of({reinterpret_cast<const uint8_t*>(value), length}));
      captured.insert_or_assign(name, std::move(copy));
    }
    sodium_memzero(value, length);
    ::unsetenv(name);
  }
  const auto it = captured.find(name);
  if (it == captured.end()) {
    return std::nullopt;
  }
  return SecretBytes::copy_of(it->second.view());
}

} // namespace complycli::crypto
