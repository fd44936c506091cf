#include "audit_hook.hpp"

namespace complycli::cli {

// The audit log module (issue: audit log) replaces this body with a real append. Until then events
// have nowhere durable to go, and commands run as they would without a log.
Result<void> record_event(const core::Workspace&, const std::string&, const core::Event&)
{
  return {};
}

} // namespace complycli::cli
