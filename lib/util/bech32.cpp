#include "util/bech32.hpp"

#include <array>

namespace complycli::util {

namespace {

constexpr std::string_view charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::size_t checksum_length = 6;
constexpr std::size_t max_length = 90;

uint32_t polymod(std::span<const uint8_t> values, uint32_t chk = 1)
{
  static constexpr std::array<uint32_t, 5> generator{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  for (const uint8_t value : values) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (std::size_t i = 0; i < generator.size(); ++i) {
      if (((top >> i) & 1) != 0) {
        chk ^= generator[i];
      }
    }
  }
  return chk;
}

// The human-readable part as the checksum sees it: high bits, a zero, low bits.
std::vector<uint8_t> hrp_expand(std::string_view hrp)
{
  std::vector<uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (const char c : hrp) {
    out.push_back(static_cast<uint8_t>(static_cast<unsigned char>(c) >> 5));
  }
  out.push_back(0);
  for (const char c : hrp) {
    out.push_back(static_cast<uint8_t>(static_cast<unsigned char>(c) & 31));
  }
  return out;
}

uint32_t checksum_residue(std::string_view hrp, std::span<const uint8_t> data)
{
  const auto expanded = hrp_expand(hrp);
  return polymod(data, polymod(expanded));
}

} // namespace

std::string bech32_encode(std::string_view hrp, std::span<const uint8_t> data)
{
  std::vector<uint8_t> values(data.begin(), data.end());
  values.resize(values.size() + checksum_length, 0);
  const uint32_t mod = checksum_residue(hrp, values) ^ 1;
  std::string out(hrp);
  out += '1';
  for (const uint8_t value : data) {
    out += charset[value & 31];
  }
  for (std::size_t i = 0; i < checksum_length; ++i) {
    out += charset[(mod >> (5 * (5 - i))) & 31];
  }
  return out;
}

Result<Bech32> bech32_decode(std::string_view text)
{
  if (text.size() > max_length) {
    return fail(Errc::parse, "longer than {} characters", max_length);
  }
  bool lower = false;
  bool upper = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) {
      return fail(Errc::parse, "a character outside printable ASCII");
    }
    lower = lower || (c >= 'a' && c <= 'z');
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  if (lower && upper) {
    return fail(Errc::parse, "mixed upper and lower case");
  }
  const auto separator = text.rfind('1');
  if (separator == std::string_view::npos) {
    return fail(Errc::parse, "no separator \"1\"");
  }
  if (separator == 0) {
    return fail(Errc::parse, "an empty human-readable part");
  }
  if (separator + 1 + checksum_length > text.size()) {
    return fail(Errc::parse, "too short for a checksum");
  }
  Bech32 out;
  for (const char c : text.substr(0, separator)) {
    out.hrp += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  for (const char c : text.substr(separator + 1)) {
    const char folded = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const auto position = charset.find(folded);
    if (position == std::string_view::npos) {
      return fail(Errc::parse, "\"{}\" is not a Bech32 data character", c);
    }
    out.data.push_back(static_cast<uint8_t>(position));
  }
  if (checksum_residue(out.hrp, out.data) != 1) {
    return fail(Errc::parse, "the checksum does not match (a mistyped character?)");
  }
  out.data.resize(out.data.size() - checksum_length);
  return out;
}

std::vector<uint8_t> bytes_to_5bit(std::span<const uint8_t> bytes)
{
  std::vector<uint8_t> out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t accumulator = 0;
  int bits = 0;
  for (const uint8_t byte : bytes) {
    accumulator = (accumulator << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(static_cast<uint8_t>((accumulator >> bits) & 31));
    }
  }
  if (bits > 0) {
    out.push_back(static_cast<uint8_t>((accumulator << (5 - bits)) & 31));
  }
  return out;
}

Result<std::vector<uint8_t>> bytes_from_5bit(std::span<const uint8_t> values)
{
  std::vector<uint8_t> out;
  out.reserve(values.size() * 5 / 8);
  uint32_t accumulator = 0;
  int bits = 0;
  for (const uint8_t value : values) {
    if (value > 31) {
      return fail(Errc::parse, "a value wider than 5 bits");
    }
    accumulator = ((accumulator << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((accumulator >> bits) & 0xff));
    }
  }
  if (bits >= 5 || ((accumulator << (8 - bits)) & 0xff) != 0) {
    return fail(Errc::parse, "non-zero or overlong padding");
  }
  return out;
}

} // namespace complycli::util
