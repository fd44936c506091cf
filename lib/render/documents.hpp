#pragma once

// The four documents (subprocessor register and its change notice, DPA stub, trust page with
// security.txt, questionnaire answers), rendered from the company profile and the check results
// through Mustache templates. What a claim needs (which checks, which profile facts) is data too:
// templates/claims.yaml; questionnaire mappings live in templates/questionnaires/*.yaml.

#include "core/error.hpp"
#include "render/inputs.hpp"
#include "render/template.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace complycli::render {

enum class DocFormat { md, html, csv, json };

// Parse "md", "markdown", "html", "csv", "json"; Errc::usage naming `allowed` otherwise or when the
// format is not in `allowed`.
Result<DocFormat> parse_doc_format(const std::string& text, const std::vector<DocFormat>& allowed);
const char* extension(DocFormat format);

struct DocumentInputs {
  LoadedFile profile;
  std::optional<LoadedFile> results;
  std::chrono::year_month_day date;
  int max_age_days = 30;
  bool footer = true;                           // trace the document to its inputs
  std::optional<std::uint64_t> audit_sequence;  // shown in the footer when known
  std::optional<std::string> audit_proof_stem;  // trust page: STEM.tlog-proof and STEM.json sit beside it
  TemplateDirs dirs;
  std::optional<std::string> log_vkey; // the trust page shows it with the `complycli verify` command
};

// A claim from templates/claims.yaml and whether the inputs back it.
struct Claim {
  std::string id;
  std::string title;
  bool backed = false;
  bool applies = true;              // false: its `applies_if` fact is absent (never made, never reported)
  std::vector<std::string> reasons; // why not, when not backed
  bool waived = false;              // a check it needs passed only through a waiver
  std::vector<std::string> checks;  // the checks that back it (templates/claims.yaml)
};

// The data every template sees: the profile's own keys (subprocessors sorted and enriched), plus
// `document`, `results`, `claims`, `unbacked_claims`, `passed_checks`, `compliance` and `footer`.
// `warnings` collects what the reader should know (location codes regions.yaml does not know).
Result<nlohmann::json> document_data(const DocumentInputs& inputs, std::vector<Claim>* claims = nullptr,
                                     std::vector<std::string>* warnings = nullptr);

struct Rendered {
  std::string text;
  std::vector<Claim> claims;
  std::vector<std::string> warnings; // for stderr: inconsistencies counsel must resolve, unknown locations
};

// The subprocessor register (md, html, csv or json).
Result<Rendered> render_register(const DocumentInputs& inputs, DocFormat format);

// What changed between two profiles' subprocessors, with the Art. 28(2) customer notice (md or json).
// `inputs.profile` is the new profile.
struct RegisterDiff {
  std::string text;
  std::size_t added = 0, removed = 0, changed = 0;
};
Result<RegisterDiff> render_register_diff(const LoadedFile& old_profile, const DocumentInputs& inputs,
                                          DocFormat format);

struct Customer {
  std::string name;
  std::string address;
  std::string contact; // Annex I's contact person for the controller, when given
  std::string country; // where the controller is established (default: the address's last line)
};

// The DPA stub (md or html): the Art. 28(3) lead-in and clauses (a)-(h), Art. 28(4) liability, the
// transfer clause (SCC module 2 or 3, UK Addendum), Annexes I-III. Annex II lists the measures the
// profile commits to, whatever the check results say (the gaps are for `dpa_gaps`); `warnings` get
// the consistency problems counsel must resolve before signature.
Result<Rendered> render_dpa(const DocumentInputs& inputs, const Customer& customer, DocFormat format);

// The trust page (html or md) and security.txt.
struct TrustPage {
  std::string page;
  std::string security_txt;
  std::vector<Claim> claims;
  std::vector<std::string> warnings;
};
Result<TrustPage> render_trust_page(const DocumentInputs& inputs, DocFormat format);

// Questionnaire answers (csv, md or json). `questionnaire` is CSV text with columns id, question
// (and optionally domain); `mapping` is the mapping file (e.g. questionnaires/caiq-lite.yaml).
struct Answers {
  std::string text;
  std::map<std::string, std::size_t> counts; // answer -> how many
};
Result<Answers> render_answers(const DocumentInputs& inputs, const std::string& questionnaire,
                               const std::string& questionnaire_name, const std::filesystem::path& mapping,
                               DocFormat format);

} // namespace complycli::render
