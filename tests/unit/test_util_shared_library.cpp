#include "util/shared_library.hpp"

#include <doctest/doctest.h>

#include <cstring>

using complycli::util::SharedLibrary;

TEST_CASE("shared_library: functions are found by name, and what is missing is said")
{
  SharedLibrary libc("libc.so.6");
  decltype(&std::strlen) length = nullptr;
  libc.find("strlen", length);
  REQUIRE(static_cast<bool>(length));
  CHECK(length("complycli") == 9);
  CHECK(libc.error().empty());

  int (*missing)() = nullptr;
  libc.find("complycli_no_such_function", missing);
  CHECK_FALSE(static_cast<bool>(missing));
  CHECK(libc.error() == "libc.so.6 has no complycli_no_such_function");

  SharedLibrary absent("libcomplycli-absent.so.9");
  decltype(&std::strlen) none = nullptr;
  absent.find("strlen", none);
  CHECK_FALSE(static_cast<bool>(none));
  CHECK(absent.error().find("libcomplycli-absent.so.9") != std::string::npos);
}
