#include "auditlog/import.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <numeric>

namespace complycli::auditlog {

namespace {

const char *import_hint = "nothing was imported; fix the line and run the import again";

// Parse nlohmann's "... at line L, column C: detail" into column and detail.
std::pair<std::size_t, std::string> parse_error_position(const nlohmann::json::parse_error &e)
{
  const std::string what = e.what();
  std::size_t column = e.byte;
  std::string detail = what;
  if (const auto at = what.find("column "); at != std::string::npos) {
    std::size_t value = 0;
    const char *begin = what.data() + at + 7;
    const auto [end, ec] = std::from_chars(begin, what.data() + what.size(), value);
    if (ec == std::errc()) {
      column = value;
    }
    if (const auto colon = what.find(": ", at); colon != std::string::npos) {
      detail = what.substr(colon + 2);
    }
  } else if (const auto colon = what.find("] "); colon != std::string::npos) {
    detail = what.substr(colon + 2);
  }
  return {column, detail};
}

} // namespace

// --- CanonicalJsonWriter ---------------------------------------------------------------------------

CanonicalJsonWriter::CanonicalJsonWriter()
    : m_serializer(std::make_unique<nlohmann::detail::serializer<json>>(
          nlohmann::detail::output_adapter<char, std::string>(m_scratch), ' ', json::error_handler_t::strict))
{
}

void CanonicalJsonWriter::begin()
{
  m_depth = 0;
  m_result.clear();
  m_invalid = false;
  start(true);
}

void CanonicalJsonWriter::start(bool object)
{
  if (m_depth == m_frames.size()) {
    m_frames.emplace_back();
  }
  Frame &frame = m_frames[m_depth++];
  frame.object = object;
  frame.empty = true;
  frame.count = 0;
  frame.text.clear();
  if (!object) {
    frame.text += '[';
  }
}

void CanonicalJsonWriter::key(const std::string &key)
{
  m_frames[m_depth - 1].key = key;
}

// Where the next value's text goes: a new member of the current object, or the current array's text.
std::string &CanonicalJsonWriter::slot()
{
  Frame &frame = m_frames[m_depth - 1];
  if (frame.object) {
    if (frame.count == frame.members.size()) {
      frame.members.emplace_back();
    }
    Member &member = frame.members[frame.count++];
    member.key = frame.key;
    member.value.clear();
    return member.value;
  }
  if (!frame.empty) {
    frame.text += ',';
  }
  frame.empty = false;
  return frame.text;
}

void CanonicalJsonWriter::serialize(const json &value, std::string &out)
{
  m_scratch.clear();
  try {
    m_serializer->dump(value, false, false, 0);
  } catch (const json::type_error &) { // a string that is not UTF-8
    m_invalid = true;
  }
  out += m_scratch;
}

void CanonicalJsonWriter::value(const json &scalar)
{
  serialize(scalar, slot());
}

void CanonicalJsonWriter::string(const std::string &value)
{
  std::string &out = slot();
  *m_string.get_ptr<json::string_t *>() = value;
  serialize(m_string, out);
}

bool CanonicalJsonWriter::end()
{
  Frame &frame = m_frames[m_depth - 1];
  if (frame.object) {
    // Members in key order (std::string's order, which is json's object order); of members with the
    // same key, the last one parsed, as nlohmann's parser keeps.
    const auto count = frame.count;
    frame.order.resize(count);
    std::iota(frame.order.begin(), frame.order.end(), uint32_t{0});
    std::sort(frame.order.begin(), frame.order.end(), [&](uint32_t a, uint32_t b) {
      const auto order = frame.members[a].key.compare(frame.members[b].key);
      return order < 0 || (order == 0 && a < b);
    });
    frame.text.clear();
    frame.text += '{';
    bool first = true;
    for (std::size_t i = 0; i < count; ++i) {
      const Member &member = frame.members[frame.order[i]];
      if (i + 1 < count && frame.members[frame.order[i + 1]].key == member.key) {
        continue; // replaced by a later duplicate
      }
      if (!first) {
        frame.text += ',';
      }
      first = false;
      *m_string.get_ptr<json::string_t *>() = member.key;
      serialize(m_string, frame.text);
      frame.text += ':';
      frame.text += member.value;
    }
    frame.text += '}';
  } else {
    frame.text += ']';
  }
  --m_depth;
  if (m_depth == 0) {
    m_result.swap(frame.text);
    return true;
  }
  slot() += frame.text; // the parent's frame is another element: `frame` stays valid
  return false;
}

// --- BlockReader -----------------------------------------------------------------------------------

std::optional<BlockReader::Block> BlockReader::next(std::string &out)
{
  std::lock_guard lock(m_mutex);
  if (m_done) {
    return std::nullopt;
  }
  Block block{m_index++, m_lines, false, false};
  out.clear();
  out.swap(m_carry);
  while (true) {
    if (m_eof) { // the rest of the input
      block.last = true;
      block.failed = m_input.bad();
      m_done = true;
      break;
    }
    if (out.size() >= m_block_size) {
      if (const auto cut = out.rfind('\n'); cut != std::string::npos) {
        m_carry.assign(out, cut + 1);
        out.resize(cut + 1);
        break;
      }
      // a line longer than a block: read on to its end
    }
    const auto old = out.size();
    out.resize(old + m_block_size);
    m_input.read(out.data() + old, static_cast<std::streamsize>(m_block_size));
    out.resize(old + static_cast<std::size_t>(m_input.gcount()));
    if (!m_input) {
      m_eof = true;
    }
  }
  for (const char *p = out.data(), *end = p + out.size();
       (p = static_cast<const char *>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr;
       ++p) {
    ++m_lines;
  }
  return block;
}

void BlockReader::stop()
{
  std::lock_guard lock(m_mutex);
  m_done = true;
}

// --- RecordParser ----------------------------------------------------------------------------------

RecordParser::RecordParser(std::string source, std::string default_actor, std::string now)
    : m_source(std::move(source)), m_default_actor(std::move(default_actor)), m_now(std::move(now))
{
}

Result<void> RecordParser::parse(std::string_view line, int64_t line_number, ImportBatch &batch)
{
  m_actor = m_default_actor;
  m_action.clear();
  m_target.clear();
  m_outcome = "ok";
  m_time.clear();
  m_started = m_has_target = m_has_details = false;
  m_details_depth = m_skip_depth = 0;
  m_fields_seen = 0;
  m_key.clear();
  m_error.clear();
  m_syntax.reset();

  auto bad = [&](std::string_view what) {
    return fail_with_hint(Errc::parse, import_hint, "{}:{}:1: {}", m_source, line_number, what);
  };
  // nlohmann's parser stops at a NUL byte as at the end of the input: what follows would be ignored.
  if (const auto nul = line.find('\0'); nul != std::string_view::npos) {
    return fail_with_hint(Errc::parse, import_hint, "{}:{}:{}: a NUL byte (expected one JSON object a line, in UTF-8)",
                          m_source, line_number, nul + 1);
  }
  if (!json::sax_parse(line.data(), line.data() + line.size(), this)) {
    if (m_syntax) {
      return fail_with_hint(Errc::parse, import_hint, "{}:{}:{}: {}", m_source, line_number, m_syntax->first,
                            m_syntax->second);
    }
    return bad(m_error);
  }
  if (m_action.empty()) {
    return bad("action is missing");
  }
  if (!m_has_target) {
    return bad("target is missing");
  }
  if (!valid_outcome(m_outcome)) {
    return bad(fmt::format("outcome must be ok, denied or error, not {}", m_outcome));
  }
  std::optional<std::string> time;
  if (!m_time.empty()) {
    time = normalise_time(m_time);
    if (!time) {
      return bad(fmt::format("time {} is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS.ffffffZ)", m_time));
    }
  }
  if (m_has_details && m_details.invalid_utf8()) {
    return bad("details hold a string that is not valid UTF-8");
  }

  ImportBatch::Record record;
  std::string &bytes = batch.bytes;
  const std::string_view fields[] = {
      time ? std::string_view(*time) : std::string_view(m_now), m_actor, m_action, m_target, m_outcome,
      m_has_details ? std::string_view(m_details.text()) : "{}"};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    record.bounds[i] = bytes.size();
    bytes.append(fields[i]);
  }
  record.bounds[6] = bytes.size();
  batch.records.push_back(record);
  return {};
}

bool RecordParser::refuse(std::string message)
{
  m_error = std::move(message);
  return false;
}

std::string *RecordParser::string_field()
{
  return m_key == "actor"     ? &m_actor
         : m_key == "action"  ? &m_action
         : m_key == "target"  ? &m_target
         : m_key == "outcome" ? &m_outcome
         : m_key == "time"    ? &m_time
                              : nullptr;
}

bool RecordParser::ignored() const
{
  return m_key == "seq" || m_key == "hash" || m_key == "prev_hash";
}

// A top-level value that is not a string for a string field, or a non-object for details.
bool RecordParser::top_level_value(const char *type)
{
  if (ignored()) {
    return true;
  }
  if (m_key == "details") {
    return refuse("details must be a JSON object");
  }
  if (string_field() != nullptr) {
    return refuse(fmt::format("{} must be a string, not {}", m_key, type));
  }
  return refuse(
      fmt::format("unknown field \"{}\" (known: actor, action, target, outcome, details, time)", m_key));
}

bool RecordParser::string(json::string_t &value)
{
  if (m_skip_depth > 0) {
    return true;
  }
  if (m_details_depth > 0) {
    m_details.string(value);
    return true;
  }
  if (!m_started) {
    return refuse("expected a JSON object, found string");
  }
  if (auto *field = string_field()) {
    *field = value;
    m_has_target = m_has_target || m_key == "target";
    return true;
  }
  return top_level_value("string");
}

bool RecordParser::key(json::string_t &key)
{
  if (m_skip_depth > 0) {
    return true;
  }
  if (m_details_depth > 0) {
    m_details.key(key);
    return true;
  }
  // A field given twice would be ambiguous (JSON parsers differ on which one wins). Unknown fields are
  // refused at their value.
  static constexpr std::string_view known[] = {"actor", "action", "target", "outcome", "details",
                                               "time",  "seq",    "hash",   "prev_hash"};
  for (std::size_t i = 0; i < std::size(known); ++i) {
    if (key == known[i]) {
      if ((m_fields_seen & (1U << i)) != 0) {
        return refuse(fmt::format("duplicate field \"{}\" (expected each field once)", key));
      }
      m_fields_seen |= 1U << i;
    }
  }
  m_key = key;
  return true;
}

bool RecordParser::scalar(const json &value)
{
  if (m_skip_depth > 0) {
    return true;
  }
  if (m_details_depth > 0) {
    m_details.value(value);
    return true;
  }
  if (!m_started) {
    return refuse(fmt::format("expected a JSON object, found {}", value.type_name()));
  }
  return top_level_value(value.type_name());
}

bool RecordParser::start(bool object)
{
  if (m_skip_depth > 0) {
    ++m_skip_depth;
    return true;
  }
  if (m_details_depth > 0) {
    // The details are hashed and written out by recursive code elsewhere: bound their depth.
    if (m_details_depth >= max_details_depth) {
      return refuse(fmt::format("details nested more than {} levels deep (expected at most {})", max_details_depth,
                                max_details_depth));
    }
    m_details.start(object);
    ++m_details_depth;
    return true;
  }
  if (!m_started) {
    if (!object) {
      return refuse("expected a JSON object, found array");
    }
    m_started = true;
    return true;
  }
  if (m_key == "details" && object) {
    m_details.begin();
    m_details_depth = 1;
    m_has_details = false;
    return true;
  }
  if (ignored()) {
    m_skip_depth = 1;
    return true;
  }
  return top_level_value(object ? "object" : "array");
}

bool RecordParser::end()
{
  if (m_skip_depth > 0) {
    --m_skip_depth;
  } else if (m_details_depth > 0) {
    m_details.end();
    if (--m_details_depth == 0) {
      m_has_details = true;
    }
  }
  return true;
}

bool RecordParser::parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e)
{
  const auto *parse = dynamic_cast<const json::parse_error *>(&e);
  if (parse != nullptr) {
    m_syntax = parse_error_position(*parse);
  } else {
    m_syntax = {1, e.what()};
  }
  return false;
}

} // namespace complycli::auditlog
