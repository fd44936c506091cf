#pragma once

// The company profile: the one file that describes the organisation being audited (organisation,
// products, retention, controls evidence, people, AI providers, subprocessors). Loaded from YAML or
// JSON (the same schema, docs/profile.md), validated with every problem reported at once.

#include "core/error.hpp"
#include "core/workspace.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::profile {

inline constexpr int schema_version = 1;

using Date = std::chrono::year_month_day;

struct Contact {
  std::string name;
  std::string email;
};

struct DisclosureContact {
  std::string email;
  std::optional<std::string> url;
  std::optional<std::string> policy_url;
  std::optional<std::string> security_txt_url;
};

// The authority competent for the controller (GDPR Art 51), named in the DPA's Annex I.C.
struct SupervisoryAuthority {
  std::string name;
  std::optional<std::string> url;
};

struct Organisation {
  std::string legal_name;
  std::optional<std::string> trading_name;
  std::string address;
  std::optional<std::string> country;
  std::string website;
  std::vector<std::string> hosting_regions;
  int64_t subprocessor_notice_days = 30;
  Contact dpo;
  Contact security;
  DisclosureContact vulnerability_disclosure;
  std::optional<SupervisoryAuthority> supervisory_authority;
};

struct Product {
  std::string name;
  std::optional<std::string> description;
  std::vector<std::string> data_categories;
  std::vector<std::string> data_subjects;
  std::optional<std::vector<std::string>> special_categories; // GDPR Art 9 categories, as stated
  std::optional<bool> criminal_offence_data;                  // GDPR Art 10, as stated
};

struct Retention {
  std::string data_category;
  std::string period;
  std::optional<int64_t> days;
};

// Evidence of the controls; an absent control is std::nullopt.
struct Controls {
  struct PenetrationTest {
    Date last;
    std::optional<std::string> provider;
    std::optional<std::string> report_url;
  };
  struct LastDone {
    Date last;
  };
  struct Review {
    Date last_reviewed;
  };
  struct Mfa {
    bool enforced = false;
    std::vector<std::string> methods;
  };
  struct Sso {
    bool enforced = false;
    std::optional<std::string> provider;
  };
  struct AccountLockout {
    bool enabled = false;
    std::optional<int64_t> threshold;
    std::optional<int64_t> duration_minutes;
  };
  struct BackgroundChecks {
    bool required = false;
  };
  struct Encryption {
    std::optional<std::string> at_rest;
    std::optional<std::string> in_transit_min_tls;
  };
  struct AuditLogging {
    bool enabled = false;
    std::optional<int64_t> retention_days;
  };
  struct ClientIsolation {
    bool per_matter_keys = false;
  };

  std::optional<PenetrationTest> penetration_test;
  std::optional<LastDone> backup_restore_test;
  std::optional<LastDone> access_review;
  std::optional<Review> incident_response_plan;
  std::optional<Mfa> mfa;
  std::optional<Sso> sso;
  std::optional<AccountLockout> account_lockout;
  std::optional<BackgroundChecks> background_checks;
  std::optional<Encryption> encryption;
  std::optional<AuditLogging> audit_logging;
  std::optional<ClientIsolation> client_isolation;
};

struct Person {
  std::string name;
  std::optional<std::string> role;
  std::optional<std::string> email;
  std::optional<Date> security_training; // last completed
  std::optional<Date> background_check;
  std::optional<std::string> status; // active (also when absent) or left
};

struct AiProvider {
  std::string name; // also listed in `subprocessors` under the same name
  std::vector<std::string> models;
  std::optional<std::string> purpose;
  bool zero_data_retention = false;
  bool training_opt_out = false;
  std::optional<std::string> region;
};

// An AI worker (agent) that acts inside real work, with its own identity and a human owner.
struct AiWorker {
  struct Permission {
    std::string resource;
    std::vector<std::string> verbs;
  };
  struct Memory {
    std::string scope; // none, session, matter, tenant or global
    std::optional<int64_t> retention_days;
  };
  struct Approval {
    std::string action;        // an action kind, e.g. external_message
    std::string approver_role; // the role of the person who must approve it
  };

  std::string id; // unique; the audit log's actor is "worker:ID"
  std::string name;
  std::string owner; // a person of `people`
  std::string role;
  std::string status; // active, suspended or retired
  std::vector<Permission> permissions;
  std::vector<std::string> tools;
  std::optional<std::string> model_provider; // one of `ai_providers`
  std::vector<std::string> data_classes;
  std::vector<std::string> actions; // action kinds it takes
  std::optional<Memory> memory;
  std::vector<Approval> approvals;
  std::optional<int64_t> log_retention_days;
  std::optional<Date> last_permission_review;
};

// The action kinds that need a human approval rule when a worker takes them (docs/profile.md).
inline const std::vector<std::string> sensitive_actions = {"external_message", "record_change", "regulated_data",
                                                           "production_change", "decision_about_person"};

struct Certification {
  std::string name;
  std::optional<Date> expires;
};

struct Subprocessor {
  std::string name;
  std::optional<std::string> legal_entity;
  std::string purpose;
  std::vector<std::string> data_categories;
  bool personal_data = true;
  std::vector<std::string> locations;
  std::optional<std::string> transfer_mechanism;
  std::vector<Certification> certifications;
  std::optional<Date> dpa_signed; // absent: no DPA
  std::optional<std::string> url;
  std::optional<Date> added;
  bool processes_customer_data = true; // false: the firm's own tool, kept out of the customer register
  std::optional<std::string> address;
  std::optional<std::string> contact_email;
};

// One of the company's own certifications (profile `certifications.soc2` and so on).
struct OwnCertification {
  std::string status; // certified, in_progress or none
  std::optional<std::string> scope;
  std::optional<Date> issued;
  std::optional<Date> expires;
  std::optional<Date> target; // when in progress
};

// What the company commits to (profile `service_levels`); the DPA and trust page quote these numbers.
struct ServiceLevels {
  struct PatchDays {
    std::optional<int64_t> critical;
    std::optional<int64_t> high;
    std::optional<int64_t> medium;
    std::optional<int64_t> low;
  };
  std::optional<int64_t> breach_notification_hours;
  std::optional<int64_t> vulnerability_acknowledgement_hours;
  std::optional<PatchDays> patch_days;
};

struct Profile {
  Organisation organisation;
  std::vector<Product> products;
  std::vector<Retention> retention;
  Controls controls;
  std::vector<Person> people; // from `people`, then the rows of `people_roster`
  std::optional<std::string> people_roster;
  std::vector<AiProvider> ai_providers;
  std::vector<Subprocessor> subprocessors;
  std::vector<AiWorker> ai_workers;
  // Keyed by soc2, iso27001, hipaa_baa, pci_dss; absent when the profile states none.
  std::optional<std::map<std::string, OwnCertification>> certifications;
  std::optional<ServiceLevels> service_levels;

  std::filesystem::path source; // the file it was loaded from (as given)
  std::string source_sha256;    // lower-case hex SHA-256 of the file's bytes
};

// One problem found in a profile (or its people roster), at a 1-based line and column.
struct Diagnostic {
  std::string file;
  int line = 1;
  int column = 1;
  std::string message; // what was found and what was expected

  // "file:line:column: message"
  std::string to_string() const;
};

// A profile document that parsed: its normalised JSON form (defaults filled in, the roster's people
// merged into "people") when valid, and every problem found.
struct Validation {
  nlohmann::json document;
  std::vector<Diagnostic> diagnostics;
  std::string sha256;

  bool valid() const { return diagnostics.empty(); }
};

// Parse and validate the profile at `path` ("-" reads standard input; a roster path is then relative
// to the current folder). Errc::io if it cannot be read, Errc::parse (file:line:column) if it is not
// YAML/JSON; otherwise the diagnostics, possibly empty.
Result<Validation> validate_file(const std::filesystem::path& path);

// The same for text already in memory; `name` is used in diagnostics and `base_dir` resolves
// `people_roster`. Errc::parse (name:line:column) if the text is not YAML/JSON.
Result<Validation> validate_text(const std::string& text, const std::string& name,
                                 const std::filesystem::path& base_dir);

// Load a valid profile. A profile with problems is Errc::config whose message lists every problem,
// one `file:line:column: message` per line.
Result<Profile> load_profile(const std::filesystem::path& path);

// The typed profile from a validated document (as in Validation::document).
Profile from_document(const nlohmann::json& document);

// The normalised JSON form: the keys of docs/profile.md plus "schema_version", defaults filled in,
// dates as "YYYY-MM-DD", absent optional values left out (object keys sorted, as nlohmann::json does).
nlohmann::json to_json(const Profile& profile);

// The profile a workspace names (settings.json `profile`; a relative path starts at the project
// folder). Errc::usage with a hint if it names none. Commands use it when no profile file is given.
Result<std::filesystem::path> workspace_profile(const core::Workspace& workspace);

// The worker of `profile` whose id is `id`, or nullptr.
const AiWorker* find_worker(const Profile& profile, std::string_view id);

// Whether an audit log may record `actor`: anything that does not start with "worker:" may; "worker:ID"
// may when the profile lists no AI workers, or lists ID with a status other than retired. Otherwise
// Errc::usage naming the id.
Result<void> check_actor(const Profile& profile, std::string_view actor);

// Whether `person` may approve an AI worker's action: not a worker ("worker:..."), and, when the profile
// lists AI workers, a person of `people` who has not left. Otherwise Errc::usage.
Result<void> check_approver(const Profile& profile, std::string_view person);

// Lower-case hex SHA-256 of `bytes`.
Result<std::string> sha256_hex(std::string_view bytes);

// Lower-case hex SHA-256 of a file's bytes (documents cite the profile they were rendered from).
Result<std::string> file_sha256(const std::filesystem::path& path);

} // namespace complycli::profile
