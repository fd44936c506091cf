// libFuzzer target: the input is a check definition, parsed and its query compiled the way
// `complycli check` loads checks/*.yaml. The file is named after the input's `id:` line when it has
// one (a check must be), so the fuzzer gets past the name test.
#include "fuzz_support.hpp"

#include "checks/check.hpp"

#include <regex>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  using namespace complycli;
  const auto text = fuzz::text_of(data, size);
  std::string name = "check";
  static const std::regex id_line(R"((^|\n)id:[ \t]*([a-z0-9][a-z0-9-]{0,60})[ \t]*(\r?\n|$))");
  std::smatch m;
  if (std::regex_search(text, m, id_line)) {
    name = m[2].str();
  }
  (void)checks::parse_check(text, "checks/" + name + ".yaml");
  return 0;
}
