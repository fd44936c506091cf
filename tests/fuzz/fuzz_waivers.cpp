// libFuzzer target: the input is a waiver file (`complycli check --waivers FILE`).
#include "fuzz_support.hpp"

#include "checks/engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  using namespace complycli;
  (void)checks::parse_waivers(fuzz::text_of(data, size), "waivers.yaml", "2026-06-01");
  return 0;
}
