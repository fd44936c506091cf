#include "util/scalar.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace complycli::util;

TEST_CASE("decimal integers and reals")
{
  CHECK(is_decimal_integer("0"));
  CHECK(is_decimal_integer("-12"));
  CHECK(is_decimal_integer("+7"));
  CHECK_FALSE(is_decimal_integer(""));
  CHECK_FALSE(is_decimal_integer("+"));
  CHECK_FALSE(is_decimal_integer("1.0"));
  CHECK_FALSE(is_decimal_integer("12a"));
  CHECK(is_decimal_real("1.5"));
  CHECK(is_decimal_real(".5"));
  CHECK(is_decimal_real("1."));
  CHECK(is_decimal_real("-1e10"));
  CHECK(is_decimal_real("2.5E-3"));
  CHECK(is_decimal_real("12"));
  CHECK_FALSE(is_decimal_real("."));
  CHECK_FALSE(is_decimal_real("1e"));
  CHECK_FALSE(is_decimal_real("e5"));
  CHECK_FALSE(is_decimal_real("1.2.3"));
}

TEST_CASE("a value of megabytes is matched without recursion")
{
  const std::string digits(4 * 1024 * 1024, '9');
  CHECK(is_decimal_integer(digits));
  CHECK(is_decimal_real(digits));
  // (Built with append: g++ 12 warns falsely about `"literal" + std::string(...)`.)
  const auto joined = [](std::string a, std::size_t count, char c, std::string_view b) {
    a.append(count, c);
    a.append(b);
    return a;
  };
  CHECK_FALSE(is_email_shape(joined(digits, 0, 'x', "@")));
  CHECK_FALSE(is_email_shape(joined("", 1024 * 1024, 'a', "@example.com")));
  CHECK(is_email_shape(joined("", 64, 'a', "@example.com")));
  CHECK_FALSE(is_email_shape(joined("", 65, 'a', "@example.com")));
  CHECK(is_url_shape(joined("https://example.com/", 1024 * 1024, 'p', "")));
}

TEST_CASE("email, URL and date shapes")
{
  CHECK(is_email_shape("dpo@northwind-legal.example"));
  CHECK(is_email_shape("a.b+c@x.co.uk"));
  CHECK_FALSE(is_email_shape("dpo"));
  CHECK_FALSE(is_email_shape("@x.com"));
  CHECK_FALSE(is_email_shape("a@localhost"));
  CHECK_FALSE(is_email_shape("a@x.c"));
  CHECK_FALSE(is_email_shape("a@x.com."));
  CHECK_FALSE(is_email_shape("a@x.c0m"));
  CHECK_FALSE(is_email_shape("a b@x.com"));
  CHECK_FALSE(is_email_shape("a@b@x.com"));
  CHECK(is_url_shape("https://example.com"));
  CHECK(is_url_shape("http://a-b.example:8443/x?y#z"));
  CHECK_FALSE(is_url_shape("ftp://example.com"));
  CHECK_FALSE(is_url_shape("https://"));
  CHECK_FALSE(is_url_shape("https://example.com/a b"));
  CHECK_FALSE(is_url_shape("https://example.com:port"));
  CHECK_FALSE(is_url_shape("https://example..com"));
  CHECK(is_date_shape("2026-02-30"));
  CHECK_FALSE(is_date_shape("2026-2-3"));
  CHECK_FALSE(is_date_shape("2026/02/03"));
}
