// libFuzzer target: the input is a company profile (YAML or JSON), validated the way
// `complycli profile validate` does; a valid one must survive the typed round trip.
#include "fuzz_support.hpp"

#include "profile/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
  using namespace complycli;
  const auto dir = fuzz::write_input("profile.yaml", "").parent_path(); // people_roster resolves here
  const auto validation = profile::validate_text(fuzz::text_of(data, size), "profile.yaml", dir);
  if (validation && validation->valid()) {
    const auto typed = profile::from_document(validation->document);
    (void)profile::to_json(typed).dump();
  }
  return 0;
}
