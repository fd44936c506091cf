#pragma once

// Environment and process facts.

#include <optional>
#include <string>

namespace complycli::util {

// The value of environment variable `name`, or nullopt when unset or empty.
std::optional<std::string> get_env(const char* name);

// The login name of the user running the process ("unknown" if none can be found).
std::string login_name();

// Whether file descriptor `fd` is a terminal that can show colour (isatty and TERM is not "dumb").
bool is_colour_terminal(int fd);

} // namespace complycli::util
