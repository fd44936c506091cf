#pragma once

// The one place where commands' events reach the audit log (see Context::record).

#include "core/error.hpp"
#include "core/event.hpp"
#include "core/workspace.hpp"

#include <cstdint>
#include <string>

namespace complycli::cli {

// Append `event`, done by `actor`, to the workspace's audit log; returns the entry's sequence number.
Result<int64_t> record_event(const core::Workspace& workspace, const std::string& actor, const core::Event& event);

} // namespace complycli::cli
