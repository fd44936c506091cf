#include "core/error.hpp"

namespace complycli {

int exit_status(Errc code)
{
  switch (code) {
  case Errc::auth_failed:
  case Errc::chain_broken:
  case Errc::check_failed:
    return 1;
  case Errc::usage:
  case Errc::parse:
  case Errc::config:
    return 2;
  case Errc::io:
    return 3;
  case Errc::internal:
    return 4;
  case Errc::interrupted:
    return 130;
  }
  return 4;
}

} // namespace complycli
