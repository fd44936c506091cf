#pragma once

// The HTML check report (`check --format html`): one self-contained file for people and auditors,
// rendered from templates/check-report.html.mustache: bar charts of check statuses per framework and
// severity (inline SVG), a control matrix per framework, and every finding with its location,
// reason, remediation, waiver and baseline state, sortable and filterable by a few lines of inline
// script. No network fetches. Returns the text; never prints.

#include "checks/engine.hpp"
#include "core/error.hpp"
#include "render/template.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace complycli::checks {

// The statuses that occur in `report` (checks and findings), in display order: fail, error, then any
// other problem status, pass, skip.
std::vector<std::string> statuses_present(const Report& report);

// The data the HTML template renders (exposed for tests).
nlohmann::json html_report_data(const Report& report);

// Render the report with `check-report.html.mustache` found through `dirs`.
Result<std::string> render_html(const Report& report, const render::TemplateDirs& dirs);

} // namespace complycli::checks
