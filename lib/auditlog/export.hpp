#pragma once

// Export formats for SIEMs (Splunk, Microsoft Sentinel): JSON Lines, CSV (RFC 4180) and ArcSight CEF,
// with optional redaction of named detail fields.

#include "auditlog/entry.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace complycli::auditlog {

enum class ExportFormat { jsonl, csv, cef };

// The text that replaces a redacted value.
inline constexpr std::string_view redacted_value = "[REDACTED]";

// A copy of `entry` whose details have each top-level field named in `fields` replaced by
// "[REDACTED]" (fields that are absent stay absent). The hashes are the original entry's.
Entry redact(const Entry &entry, const std::vector<std::string> &fields);

// The first line of a CSV export (empty for the other formats).
std::string export_header(ExportFormat format);

// One entry as a line of `format`, ending in '\n'.
std::string export_line(const Entry &entry, ExportFormat format);

// CEF escaping: header fields escape backslash and pipe; extension values escape backslash, equals
// sign, and newlines (as \n, \r).
std::string cef_escape_header(std::string_view text);
std::string cef_escape_value(std::string_view text);

// RFC 4180 field quoting (quotes a field that holds a comma, quote, CR or LF; doubles quotes).
std::string csv_field(std::string_view text);

} // namespace complycli::auditlog
