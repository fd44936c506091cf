#include "util/env.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace complycli::util {

std::optional<std::string> get_env(const char* name)
{
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

std::string login_name()
{
  if (auto user = get_env("USER")) {
    return *user;
  }
  if (const passwd* entry = ::getpwuid(::geteuid()); entry != nullptr && entry->pw_name != nullptr) {
    return entry->pw_name;
  }
  return "unknown";
}

bool is_colour_terminal(int fd)
{
  if (::isatty(fd) == 0) {
    return false;
  }
  const auto term = get_env("TERM");
  return !term || *term != "dumb";
}

} // namespace complycli::util
