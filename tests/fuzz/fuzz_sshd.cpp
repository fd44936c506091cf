// libFuzzer target: the input is a file named sshd_config, loaded as `complycli check` loads it.
#include "fuzz_evidence.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  return complycli::fuzz::collect_as("sshd_config", data, size);
}
