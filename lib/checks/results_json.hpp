#pragma once

// The JSON results of a check run (RESULTS-CONTRACT.md): what `check --results` and `--format json`
// write. A run over thousands of files has hundreds of thousands of findings, so the document is also
// available in pieces (the members around "checks", and one check at a time) and can be written out
// without ever being held whole.

#include "checks/engine.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string_view>

namespace complycli::checks {

// The members of the document other than "checks": `before` (schema_version .. fail_on) precede it,
// `after` (waiver_problems, summary and, after a baseline comparison, baseline) follow it.
struct ResultsEnvelope {
  nlohmann::ordered_json before;
  nlohmann::ordered_json after;
};
ResultsEnvelope results_envelope(const Report& report);

// Check `index` of `report.results`: its fields and findings, each failing finding with its
// "fingerprint" (and "baseline_state" after a comparison).
nlohmann::ordered_json results_check(const Report& report, std::size_t index);

// The whole document (envelope and checks in order).
nlohmann::ordered_json results_json(const Report& report);

// Write the document as results_json(report), with `extra` members appended (a signature), would be
// dumped with an indent of 2 and a final newline: the same bytes, handed to `out` a piece at a time.
void write_results_json(const Report& report, const nlohmann::ordered_json& extra,
                        const std::function<void(std::string_view)>& out);

} // namespace complycli::checks
