#include "auditlog/export.hpp"

#include "util/hex.hpp"

#include <nlohmann/json.hpp>

namespace complycli::auditlog {

Entry redact(const Entry &entry, const std::vector<std::string> &fields)
{
  if (fields.empty()) {
    return entry;
  }
  Entry out = entry;
  auto details = nlohmann::json::parse(entry.details, nullptr, false);
  if (details.is_object()) {
    bool changed = false;
    for (const auto &field : fields) {
      if (auto it = details.find(field); it != details.end()) {
        *it = redacted_value;
        changed = true;
      }
    }
    if (changed) {
      out.details = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return out;
}

std::string export_header(ExportFormat format)
{
  if (format == ExportFormat::csv) {
    return "seq,time,actor,action,target,outcome,details,prev_hash,hash\r\n";
  }
  return {};
}

std::string cef_escape_header(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '|') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string cef_escape_value(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '=':
      out += "\\=";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string csv_field(std::string_view text)
{
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

namespace {

int cef_severity(std::string_view outcome)
{
  if (outcome == "denied") {
    return 8;
  }
  if (outcome == "error") {
    return 6;
  }
  return 3;
}

} // namespace

std::string export_line(const Entry &entry, ExportFormat format)
{
  switch (format) {
  case ExportFormat::jsonl:
    return entry_to_json(entry).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  case ExportFormat::csv:
    return fmt::format("{},{},{},{},{},{},{},{},{}\r\n", entry.seq, csv_field(entry.time),
                       csv_field(entry.actor), csv_field(entry.action), csv_field(entry.target),
                       csv_field(entry.outcome), csv_field(entry.details), util::to_hex(entry.prev_hash),
                       util::to_hex(entry.hash));
  case ExportFormat::cef: {
    const auto rt = time_to_epoch_ms(entry.time);
    return fmt::format("CEF:0|complycli|complycli|{}|{}|{}|{}|rt={} suser={} act={} outcome={} externalId={} "
                       "cs1Label=target cs1={} cs2Label=details cs2={} cs3Label=hash cs3={}\n",
                       cef_escape_header(COMPLYCLI_VERSION), cef_escape_header(entry.action),
                       cef_escape_header(entry.action + " " + entry.outcome), cef_severity(entry.outcome),
                       rt ? *rt : 0, cef_escape_value(entry.actor), cef_escape_value(entry.action),
                       cef_escape_value(entry.outcome), entry.seq, cef_escape_value(entry.target),
                       cef_escape_value(entry.details), util::to_hex(entry.hash));
  }
  }
  return {};
}

} // namespace complycli::auditlog
