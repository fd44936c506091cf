#include "audit_hook.hpp"

#include "auditlog/auditlog.hpp"
#include "profile/profile.hpp"

namespace complycli::cli {

Result<void> check_actor(const core::Workspace &workspace, const std::string &actor)
{
  if (!actor.starts_with("worker:")) {
    return {}; // people are not listed in the profile: only workers are checked
  }
  auto path = profile::workspace_profile(workspace);
  if (!path) {
    return path.error().code == Errc::usage ? Result<void>{} : Result<void>{std::unexpected(path.error())};
  }
  const auto profile = TRY(profile::load_profile(*path));
  return profile::check_actor(profile, actor);
}

// Append the event to the workspace's audit log (created with its key on first use). The append is
// durable when this returns; concurrent processes wait for each other (see docs/audit-log.md).
Result<int64_t> record_event(const core::Workspace &workspace, const std::string &actor,
                          const core::Event &event)
{
  auto log = TRY(auditlog::AuditLog::open(workspace));
  auditlog::NewEntry entry;
  entry.actor = actor;
  entry.action = event.action;
  entry.target = event.target;
  entry.outcome = core::to_string(event.outcome);
  if (event.details.is_object()) {
    entry.details = event.details;
  } else if (!event.details.is_null()) {
    entry.details = nlohmann::json{{"value", event.details}};
  }
  const auto appended = TRY(log.append(entry));
  return appended.seq;
}

} // namespace complycli::cli
