#include "auditlog/entry.hpp"

#include "crypto/sha256.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

#include <charconv>
#include <chrono>

namespace complycli::auditlog {

namespace {

std::span<const uint8_t> bytes_of(const std::string &text)
{
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

void put_u32(std::string &out, uint32_t value)
{
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  out.append(bytes, 4);
}

void put_u64(std::string &out, uint64_t value)
{
  put_u32(out, static_cast<uint32_t>(value >> 32));
  put_u32(out, static_cast<uint32_t>(value));
}

void put_field(std::string &out, std::string_view field)
{
  put_u32(out, static_cast<uint32_t>(field.size()));
  out.append(field);
}

bool digits(std::string_view text)
{
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return !text.empty();
}

int number(std::string_view text)
{
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

} // namespace

void encode_entry(std::string &out, const EntryFields &fields, std::span<const uint8_t, 32> prev_hash)
{
  out.append(entry_domain);
  put_u64(out, static_cast<uint64_t>(fields.seq));
  put_field(out, fields.time);
  put_field(out, fields.actor);
  put_field(out, fields.action);
  put_field(out, fields.target);
  put_field(out, fields.outcome);
  put_field(out, fields.details);
  out.append(reinterpret_cast<const char *>(prev_hash.data()), prev_hash.size());
}

Hash EntryHasher::leaf(const EntryFields &fields, std::span<const uint8_t, 32> prev_hash)
{
  m_buffer.assign(1, '\0');
  encode_entry(m_buffer, fields, prev_hash);
  return crypto::sha256({bytes_of(m_buffer)});
}

Hash EntryHasher::hash(const EntryFields &fields, std::span<const uint8_t, 32> prev_hash, Hash *leaf)
{
  // One buffer for both hashes: 0x00 || encoding. The entry hash skips the leading byte; the Merkle
  // leaf hash (RFC 6962: SHA-256(0x00 || leaf data)) takes all of it.
  m_buffer.assign(1, '\0');
  encode_entry(m_buffer, fields, prev_hash);
  const auto data = bytes_of(m_buffer);
  if (leaf != nullptr) {
    *leaf = crypto::sha256({data});
  }
  return crypto::sha256({data.subspan(1)});
}

std::string entry_leaf_data(const Entry &entry)
{
  std::string out;
  encode_entry(out,
               EntryFields{entry.seq, entry.time, entry.actor, entry.action, entry.target, entry.outcome,
                           entry.details},
               entry.prev_hash);
  return out;
}

Result<std::string> canonical_details(const nlohmann::json &details)
{
  if (!details.is_object()) {
    return fail(Errc::usage, "details must be a JSON object, not {}", details.type_name());
  }
  try {
    return details.dump();
  } catch (const nlohmann::json::type_error &) {
    return fail(Errc::usage, "details hold a string that is not valid UTF-8");
  }
}

bool valid_outcome(std::string_view outcome)
{
  return outcome == "ok" || outcome == "denied" || outcome == "error";
}

std::optional<std::string> normalise_time(std::string_view text)
{
  // YYYY-MM-DDTHH:MM:SS then optional .fraction, then Z.
  if (text.size() < 20 || text.back() != 'Z' || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (!util::parse_date(text.substr(0, 10))) {
    return std::nullopt;
  }
  const auto hh = text.substr(11, 2), mm = text.substr(14, 2), ss = text.substr(17, 2);
  if (!digits(hh) || !digits(mm) || !digits(ss) || number(hh) > 23 || number(mm) > 59 || number(ss) > 60) {
    return std::nullopt;
  }
  std::string fraction;
  const auto rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || !digits(rest.substr(1))) {
      return std::nullopt;
    }
    fraction = std::string(rest.substr(1));
  }
  fraction.resize(6, '0');
  return fmt::format("{}.{}Z", text.substr(0, 19), fraction);
}

std::optional<int64_t> time_to_epoch_ms(std::string_view stored_time)
{
  const auto normal = normalise_time(stored_time);
  if (!normal) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const auto date = util::parse_date(std::string_view(*normal).substr(0, 10));
  const sys_days day{*date};
  const std::string_view t = *normal;
  const int64_t seconds = duration_cast<std::chrono::seconds>(day.time_since_epoch()).count() +
                          number(t.substr(11, 2)) * 3600 + number(t.substr(14, 2)) * 60 +
                          number(t.substr(17, 2));
  return seconds * 1000 + number(t.substr(20, 3));
}

nlohmann::ordered_json entry_to_json(const Entry &entry)
{
  nlohmann::ordered_json json;
  json["seq"] = entry.seq;
  json["time"] = entry.time;
  json["actor"] = entry.actor;
  json["action"] = entry.action;
  json["target"] = entry.target;
  json["outcome"] = entry.outcome;
  auto details = nlohmann::ordered_json::parse(entry.details, nullptr, false);
  json["details"] = details.is_discarded() ? nlohmann::ordered_json(entry.details) : details;
  json["prev_hash"] = util::to_hex(entry.prev_hash);
  json["hash"] = util::to_hex(entry.hash);
  return json;
}

} // namespace complycli::auditlog
