// libFuzzer target: the input is any YAML or JSON file, read as every command reads one (lib/yaml).
#include "fuzz_support.hpp"

#include "yaml/document.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  using namespace complycli;
  const auto text = fuzz::text_of(data, size);
  const auto lined = yaml::parse_lined(text, "input.yaml");
  const auto plain = yaml::parse(text, "input.yaml");
  // Both readings agree: the same value, or both an error.
  if (lined.has_value() != plain.has_value() || (lined && lined->json != *plain)) {
    __builtin_trap();
  }
  return 0;
}
