#include "profile/schema.hpp"

#include "util/scalar.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace complycli::profile {

namespace {

using enum Kind;
constexpr auto req = Presence::required;
constexpr auto opt = Presence::optional;

Field contact(std::string_view name)
{
  return {name, object, req, {{"name", string, req}, {"email", email, req}}};
}

Field last_done(std::string_view name, std::vector<Field> extra = {})
{
  std::vector<Field> children{{"last", date, req}};
  for (auto& field : extra) {
    children.push_back(std::move(field));
  }
  return {name, object, opt, std::move(children)};
}

Field build()
{
  Field organisation{
      "organisation",
      object,
      req,
      {
          {"legal_name", string, req},
          {"trading_name", string, opt},
          {"address", string, req},
          {"country", string, opt},
          {"website", url, req},
          {"hosting_regions", string_list, req, {}, true},
          {"subprocessor_notice_days", integer, opt, {}, false, 0, 30},
          {"supervisory_authority", object, opt, {{"name", string, req}, {"url", url, opt}}},
          {"contacts",
           object,
           req,
           {
               contact("dpo"),
               contact("security"),
               {"vulnerability_disclosure",
                object,
                req,
                {{"email", email, req},
                 {"url", url, opt},
                 {"policy_url", url, opt},
                 {"security_txt_url", url, opt}}},
           }},
      }};

  Field products{"products",
                 object_list,
                 req,
                 {{"name", string, req},
                  {"description", string, opt},
                  {"data_categories", string_list, req, {}, true},
                  {"data_subjects", string_list, req, {}, true},
                  {"special_categories", string_list, opt},
                  {"criminal_offence_data", boolean, opt}},
                 true};

  Field retention{"retention",
                  object_list,
                  opt,
                  {{"data_category", string, req}, {"period", string, req}, {"days", integer, opt}}};

  Field controls{
      "controls",
      object,
      opt,
      {
          last_done("penetration_test", {{"provider", string, opt}, {"report_url", url, opt}}),
          last_done("backup_restore_test"),
          last_done("access_review"),
          {"incident_response_plan", object, opt, {{"last_reviewed", date, req}}},
          {"mfa", object, opt, {{"enforced", boolean, req}, {"methods", string_list, opt}}},
          {"sso", object, opt, {{"enforced", boolean, req}, {"provider", string, opt}}},
          {"account_lockout",
           object,
           opt,
           {{"enabled", boolean, req},
            {"threshold", integer, opt, {}, false, 1},
            {"duration_minutes", integer, opt}}},
          {"background_checks", object, opt, {{"required", boolean, req}}},
          {"encryption", object, opt, {{"at_rest", string, opt}, {"in_transit_min_tls", string, opt}}},
          {"audit_logging", object, opt, {{"enabled", boolean, req}, {"retention_days", integer, opt}}},
          {"client_isolation", object, opt, {{"per_matter_keys", boolean, req}}},
      }};

  Field people{"people",
               object_list,
               opt,
               {{"name", string, req},
                {"role", string, opt},
                {"email", email, opt},
                {"security_training", date, opt},
                {"background_check", date, opt},
                {"status", string, opt, {}, false, 0, nullptr, {"active", "left"}}}};

  Field ai_providers{"ai_providers",
                     object_list,
                     opt,
                     {{"name", string, req},
                      {"models", string_list, opt},
                      {"purpose", string, opt},
                      {"zero_data_retention", boolean, req},
                      {"training_opt_out", boolean, req},
                      {"region", string, opt}}};

  // AI workers (agents) that act inside real work: identity, owner, least privilege, human approval.
  Field ai_workers{"ai_workers",
                   object_list,
                   opt,
                   {{"id", string, req},
                    {"name", string, req},
                    {"owner", string, req},
                    {"role", string, req},
                    {"status", string, req, {}, false, 0, nullptr, {"active", "suspended", "retired"}},
                    {"permissions",
                     object_list,
                     opt,
                     {{"resource", string, req}, {"verbs", string_list, req, {}, true}}},
                    {"tools", string_list, opt},
                    {"model_provider", string, opt},
                    {"data_classes", string_list, opt},
                    {"actions", string_list, opt},
                    {"memory",
                     object,
                     opt,
                     {{"scope", string, req, {}, false, 0, nullptr, {"none", "session", "matter", "tenant", "global"}},
                      {"retention_days", integer, opt}}},
                    {"approvals", object_list, opt, {{"action", string, req}, {"approver_role", string, req}}},
                    {"log_retention_days", integer, opt},
                    {"last_permission_review", date, opt}}};

  Field subprocessors{
      "subprocessors",
      object_list,
      req,
      {{"name", string, req},
       {"legal_entity", string, opt},
       {"purpose", string, req},
       {"data_categories", string_list, req},
       {"personal_data", boolean, opt, {}, false, 0, true},
       {"locations", string_list, req, {}, true},
       {"transfer_mechanism", string, opt},
       {"certifications", object_list, opt, {{"name", string, req}, {"expires", date, opt}}},
       {"dpa_signed", date, opt},
       {"url", url, opt},
       {"added", date, opt},
       {"processes_customer_data", boolean, opt, {}, false, 0, true},
       {"address", string, opt},
       {"contact_email", email, opt}}};

  // The company's own certifications and service levels, as the trust page and the DPA state them.
  const auto own = [](std::string_view name) {
    return Field{name,
                 object,
                 opt,
                 {{"status", string, req, {}, false, 0, nullptr, {"certified", "in_progress", "none"}},
                  {"scope", string, opt},
                  {"issued", date, opt},
                  {"expires", date, opt},
                  {"target", date, opt}}};
  };
  Field certifications{"certifications", object, opt, {own("soc2"), own("iso27001"), own("hipaa_baa"), own("pci_dss")}};
  Field service_levels{"service_levels",
                       object,
                       opt,
                       {{"breach_notification_hours", integer, opt, {}, false, 1},
                        {"vulnerability_acknowledgement_hours", integer, opt, {}, false, 1},
                        {"patch_days",
                         object,
                         opt,
                         {{"critical", integer, opt, {}, false, 1},
                          {"high", integer, opt, {}, false, 1},
                          {"medium", integer, opt, {}, false, 1},
                          {"low", integer, opt, {}, false, 1}}}}};

  return {"",
          object,
          req,
          {{"schema_version", integer, opt, {}, false, 1, 1}, std::move(organisation), std::move(products),
           std::move(retention), std::move(controls), std::move(people), {"people_roster", string, opt},
           std::move(ai_providers), std::move(subprocessors), std::move(ai_workers), std::move(certifications),
           std::move(service_levels)}};
}

} // namespace

const Field& profile_schema()
{
  static const Field schema = build();
  return schema;
}

std::string_view describe(Kind kind)
{
  switch (kind) {
  case string: return "a string";
  case integer: return "a whole number";
  case boolean: return "true or false";
  case date: return "a date YYYY-MM-DD";
  case email: return "an email address like name@example.com";
  case url: return "a URL starting with https://";
  case string_list: return "a list of strings";
  case object: return "a mapping";
  case object_list: return "a list of mappings";
  }
  return "a value";
}

const Field* find_child(const Field& field, std::string_view name)
{
  for (const auto& child : field.children) {
    if (child.name == name) {
      return &child;
    }
  }
  return nullptr;
}

std::optional<std::string> check_text(Kind kind, std::string_view text)
{
  if (text.empty()) {
    return fmt::format("expected {}, got an empty string", describe(kind));
  }
  const std::string value = text.size() <= 200 ? std::string(text) : fmt::format("{}... ({} bytes)", text.substr(0, 200), text.size());
  switch (kind) {
  case date:
    if (!util::is_date_shape(text)) {
      return fmt::format("expected a date YYYY-MM-DD, got \"{}\"", value);
    }
    if (!util::parse_date(std::string(text))) {
      return fmt::format("\"{}\" is not a real date (expected a date YYYY-MM-DD)", value);
    }
    return std::nullopt;
  case email:
    if (!util::is_email_shape(text)) {
      return fmt::format("expected an email address like name@example.com, got \"{}\"", value);
    }
    return std::nullopt;
  case url:
    if (!util::is_url_shape(text)) {
      return fmt::format("expected a URL starting with https:// or http://, got \"{}\"", value);
    }
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

namespace {

// Edit distance where swapping two neighbouring letters is one edit (optimal string alignment),
// ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b)
{
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

} // namespace

std::string_view did_you_mean(std::string_view word, std::span<const std::string_view> candidates)
{
  std::string_view best;
  std::size_t best_distance = std::string_view::npos;
  for (const auto candidate : candidates) {
    const auto distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // A typo: a few edits, fewer than a third of the longer word; or one word starts the other.
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, std::max(word.size(), best.size()) / 3));
  if (!best.empty() && best_distance <= limit) {
    return best;
  }
  for (const auto candidate : candidates) {
    if (word.size() >= 3 && (candidate.starts_with(word) || word.starts_with(candidate))) {
      return candidate;
    }
  }
  return {};
}

} // namespace complycli::profile
