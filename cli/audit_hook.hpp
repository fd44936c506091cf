#pragma once

// The one place where commands' events reach the audit log (see Context::record).

#include "core/error.hpp"
#include "core/event.hpp"
#include "core/workspace.hpp"

#include <cstdint>
#include <string>

namespace complycli::cli {

// Refuse an `actor` "worker:ID" that the workspace's profile does not list, or lists as retired (see
// profile::check_actor). Any other actor, and any actor in a workspace that names no profile, passes.
// main.cpp calls it before any command runs, so that such a worker neither acts nor is recorded.
Result<void> check_actor(const core::Workspace& workspace, const std::string& actor);

// Append `event`, done by `actor`, to the workspace's audit log; returns the entry's sequence number.
Result<int64_t> record_event(const core::Workspace& workspace, const std::string& actor, const core::Event& event);

} // namespace complycli::cli
