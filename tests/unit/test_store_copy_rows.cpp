#include "store/copy_rows.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace complycli;
using namespace complycli::store;

namespace {

// A row as owned strings, to compare what the parser saw after the stream is gone.
struct Row {
  int64_t seq = 0;
  std::vector<std::string> text; // time .. details
  std::string prev_hash, hash;
  bool operator==(const Row &) const = default;
};

void put(std::string &out, uint64_t value, int bytes)
{
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

void put_field(std::string &out, std::string_view bytes)
{
  put(out, bytes.size(), 4);
  out.append(bytes);
}

// PostgreSQL's binary COPY format (the COPY documentation's "Binary Format"), written out by hand.
std::string header(std::string_view extension = "")
{
  std::string out("PGCOPY\n\377\r\n\0", 11);
  put(out, 0, 4);                // flags
  put(out, extension.size(), 4); // header extension length
  out.append(extension);
  return out;
}

std::string row_bytes(const Row &row)
{
  std::string out;
  put(out, 9, 2);
  put(out, 8, 4);
  put(out, static_cast<uint64_t>(row.seq), 8);
  for (const auto &t : row.text) {
    put_field(out, t);
  }
  put_field(out, row.prev_hash);
  put_field(out, row.hash);
  return out;
}

std::string trailer()
{
  std::string out;
  put(out, 0xffff, 2);
  return out;
}

// Feed `pieces` in order; the rows seen, or the first error.
Result<std::vector<Row>> parse(const std::vector<std::string> &pieces)
{
  EntryCopyParser parser("postgresql://test");
  std::vector<Row> rows;
  for (const auto &piece : pieces) {
    TRY_VOID(parser.feed(piece, [&](const EntryRow &r) {
      rows.push_back(Row{r.seq,
                         {std::string(r.time), std::string(r.actor), std::string(r.action), std::string(r.target),
                          std::string(r.outcome), std::string(r.details)},
                         std::string(r.prev_hash.begin(), r.prev_hash.end()),
                         std::string(r.hash.begin(), r.hash.end())});
    }));
  }
  TRY_VOID(parser.finish());
  return rows;
}

} // namespace

TEST_CASE("store::EntryCopyParser")
{
  const std::vector<Row> rows{
      {1, {"2026-12-07T10:00:00.000001Z", "alice", "matter.create", "acme", "ok", R"({"a":1})"},
       std::string(32, '\0'), std::string(32, '\x11')},
      {2, {"2026-12-07T10:00:01.000000Z", "", "x", "", "denied", "{}"}, std::string(32, '\x11'),
       std::string(32, '\xfe')},
      {300000000000, {"t", "b\tob\n", "ünïcode", "\\", "error", std::string(20000, 'd')}, std::string(32, 'p'),
       std::string(32, 'h')},
  };
  std::string stream = header();
  for (const auto &row : rows) {
    stream += row_bytes(row);
  }
  stream += trailer();

  SUBCASE("one message per row, as the server sends them")
  {
    std::vector<std::string> pieces{header() + row_bytes(rows[0])};
    pieces.push_back(row_bytes(rows[1]));
    pieces.push_back(row_bytes(rows[2]));
    pieces.push_back(trailer());
    CHECK(parse(pieces).value() == rows);
  }

  SUBCASE("the stream cut in two at every byte, and byte by byte")
  {
    for (std::size_t cut = 0; cut <= stream.size(); cut += cut < 400 ? 1 : 997) {
      CAPTURE(cut);
      REQUIRE(parse({stream.substr(0, cut), stream.substr(cut)}).value() == rows);
    }
    std::vector<std::string> bytes;
    for (const char c : stream) {
      bytes.emplace_back(1, c);
    }
    CHECK(parse(bytes).value() == rows);
  }

  SUBCASE("a header extension is skipped")
  {
    CHECK(parse({header("future-extension") + row_bytes(rows[0]) + trailer()}).value() ==
          std::vector<Row>{rows[0]});
  }

  SUBCASE("what is not the rows asked for is an error, not a row")
  {
    auto error_of = [](const std::vector<std::string> &pieces) {
      const auto parsed = parse(pieces);
      REQUIRE_FALSE(parsed);
      CHECK(parsed.error().code == Errc::io);
      return parsed.error().message;
    };
    // ended without its trailer, or inside a row
    CHECK(error_of({header() + row_bytes(rows[0])}).find("ended in the middle of a row") != std::string::npos);
    CHECK(error_of({stream.substr(0, stream.size() - 5)}).find("ended in the middle") != std::string::npos);
    CHECK(error_of({"PGCOPY\n\377\r\n\1" + stream.substr(11)}).find("no binary COPY signature") != std::string::npos);
    std::string eight_columns = row_bytes(rows[0]);
    eight_columns[1] = 8;
    CHECK(error_of({header() + eight_columns + trailer()}).find("a row of 8 columns") != std::string::npos);
    std::string null_column = header();
    put(null_column, 9, 2);
    put(null_column, 8, 4);
    put(null_column, 1, 8);
    put(null_column, 0xffffffff, 4);
    CHECK(error_of({null_column}).find("a NULL column") != std::string::npos);
    std::string short_seq = header();
    put(short_seq, 9, 2);
    put_field(short_seq, "1234");
    for (int i = 0; i < 8; ++i) {
      put_field(short_seq, "x");
    }
    CHECK(error_of({short_seq + trailer()}).find("a seq that is not a bigint") != std::string::npos);
    CHECK(error_of({stream, row_bytes(rows[0])}).find("bytes after the trailer") != std::string::npos);
    CHECK(error_of({stream + "x"}).find("bytes after the trailer") != std::string::npos);
  }
}
