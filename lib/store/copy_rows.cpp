#include "store/copy_rows.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <type_traits>

namespace complycli::store {

namespace {

constexpr std::size_t column_count = 9;
constexpr std::string_view signature("PGCOPY\n\377\r\n\0", 11);
constexpr std::size_t header_size = 19; // signature, flags, header extension length

// A big-endian integer at `bytes` (as the binary COPY format writes them).
template <typename Int> Int big_endian(const char *bytes)
{
  std::make_unsigned_t<Int> value;
  std::memcpy(&value, bytes, sizeof value);
  return static_cast<Int>(std::byteswap(value));
}

std::span<const uint8_t> bytes_of(std::string_view text)
{
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

} // namespace

Result<void> EntryCopyParser::feed(std::string_view message, const std::function<void(const EntryRow &)> &visit)
{
  std::string_view data = message;
  if (!m_pending.empty()) {
    m_pending.append(message);
    data = m_pending;
  }
  const std::size_t used = TRY(rows_in(data, visit));
  if (used == data.size()) {
    m_pending.clear();
  } else {
    m_pending = std::string(data.substr(used)); // a copy: `data` may be m_pending itself
  }
  return {};
}

Result<void> EntryCopyParser::finish() const
{
  if (!m_pending.empty() || !m_trailer) {
    return fail(Errc::io, "audit log store {}: the server's copy of the entries ended in the middle of a row",
                m_name);
  }
  return {};
}

Result<std::size_t> EntryCopyParser::rows_in(std::string_view data,
                                             const std::function<void(const EntryRow &)> &visit)
{
  auto bad = [&](std::string_view what) {
    return fail(Errc::io, "audit log store {}: the server's copy of the entries is not what complycli asked for ({})",
                m_name, what);
  };
  if (m_trailer) {
    return data.empty() ? Result<std::size_t>(0) : bad("bytes after the trailer");
  }
  std::size_t at = 0;
  auto left = [&](std::size_t from) { return data.size() - from; };
  if (!m_header) {
    if (left(at) < header_size) {
      return 0;
    }
    if (data.substr(0, signature.size()) != signature) {
      return bad("no binary COPY signature");
    }
    const auto extension = big_endian<uint32_t>(data.data() + 15);
    if (left(header_size) < extension) {
      return 0;
    }
    at = header_size + extension;
    m_header = true;
  }
  std::array<std::string_view, column_count> fields;
  while (left(at) >= 2) {
    const auto count = big_endian<int16_t>(data.data() + at);
    if (count == -1) {
      m_trailer = true;
      if (left(at) != 2) {
        return bad("bytes after the trailer");
      }
      return data.size();
    }
    if (count != static_cast<int16_t>(column_count)) {
      return bad(fmt::format("a row of {} columns", count));
    }
    std::size_t p = at + 2;
    bool whole = true;
    for (auto &field : fields) {
      if (left(p) < 4) {
        whole = false;
        break;
      }
      const auto length = big_endian<int32_t>(data.data() + p);
      if (length < 0) {
        return bad("a NULL column");
      }
      p += 4;
      if (left(p) < static_cast<std::size_t>(length)) {
        whole = false;
        break;
      }
      field = data.substr(p, static_cast<std::size_t>(length));
      p += static_cast<std::size_t>(length);
    }
    if (!whole) {
      break;
    }
    if (fields[0].size() != 8) {
      return bad("a seq that is not a bigint");
    }
    visit(EntryRow{big_endian<int64_t>(fields[0].data()), fields[1], fields[2], fields[3], fields[4], fields[5],
                   fields[6], bytes_of(fields[7]), bytes_of(fields[8])});
    at = p;
  }
  return at;
}

} // namespace complycli::store
