#include "evidence/probe.hpp"

namespace complycli::evidence {

Result<void> probe(LoadState& state, const std::string& url)
{
  return add_error(state, url, 0, "probe", "the live probe is not implemented yet");
}

} // namespace complycli::evidence
