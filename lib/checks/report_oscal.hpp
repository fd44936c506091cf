#pragma once

// OSCAL 1.1.2 (NIST's Open Security Controls Assessment Language) for auditors and GRC platforms:
// `check --format oscal` writes assessment results (one result; an observation per finding with its
// evidence, a finding per control that had evidence, satisfied or not), `controls --format oscal`
// writes the check library's control mapping as a component definition. Control ids become OSCAL
// tokens "<framework>-<control>" in lower case ("soc2-cc6.1", "hipaa-164.312.a.1"); the original
// id is kept in a "control" property. UUIDs are derived from the content (name-based, version 5
// shape), so the same run gives the same document. Returns JSON; never prints.

#include "checks/check.hpp"
#include "checks/engine.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace complycli::checks {

inline constexpr const char* oscal_version = "1.1.2";
// The namespace of complycli's own OSCAL properties.
inline constexpr const char* oscal_namespace = "https://github.com/complycli/complycli/ns/oscal";

// "soc2", "CC6.1" -> "soc2-cc6.1"; "hipaa", "164.312(a)(1)" -> "hipaa-164.312.a.1".
std::string oscal_control_id(const std::string& framework, const std::string& control);

// A UUID in version 5 shape derived from `seed`.
std::string oscal_uuid(const std::string& seed);

// The assessment-results document for a check run.
nlohmann::ordered_json to_oscal_assessment_results(const Report& report);

// The component definition: the check library as one software component whose control
// implementations (one per framework in `frameworks_wanted`, all when empty) list the checks that
// evidence each control. `generated` is the RFC 3339 time for the metadata.
nlohmann::ordered_json to_oscal_component_definition(const std::vector<Check>& checks,
                                                     const std::vector<std::string>& frameworks_wanted,
                                                     const std::string& generated);

} // namespace complycli::checks
