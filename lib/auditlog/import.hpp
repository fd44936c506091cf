#pragma once

// The parsing side of `audit import` (internal to auditlog): JSON Lines records parsed with nlohmann's
// SAX interface straight into reusable batches. Once its buffers have grown, an import allocates
// nothing per entry (no json tree, no std::string per field).

#include "auditlog/entry.hpp"
#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <istream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace complycli::auditlog {

// Builds the canonical text of a JSON object, exactly what canonical_details() (nlohmann::json::dump())
// writes for the object nlohmann would parse: compact, object keys sorted by byte value at every level,
// a later duplicate key replacing an earlier one. It is fed SAX events and writes every key and scalar
// with nlohmann's own serializer, so only the brackets, commas and colons are placed here; buffers are
// reused from one object to the next.
class CanonicalJsonWriter {
public:
  using json = nlohmann::json;

  CanonicalJsonWriter();
  CanonicalJsonWriter(const CanonicalJsonWriter &) = delete; // the serializer writes into m_scratch
  CanonicalJsonWriter &operator=(const CanonicalJsonWriter &) = delete;

  // Start a new outermost object (discarding any unfinished one).
  void begin();
  // A container starts inside the current one.
  void start(bool object);
  void key(const std::string &key);
  void value(const json &scalar);
  void string(const std::string &value);
  // The current container ends; true when it was the outermost object, whose text is then text().
  bool end();
  const std::string &text() const { return m_result; }
  // Whether a string was not valid UTF-8 (the serializer refused it; canonical_details() fails then).
  bool invalid_utf8() const { return m_invalid; }

private:
  struct Member {
    std::string key, value;
  };
  struct Frame {
    bool object = false;
    bool empty = true;
    std::string text; // arrays: the text so far; objects: the finished text at end()
    std::vector<Member> members;
    std::size_t count = 0;
    std::string key; // the key of the member whose value comes next
    std::vector<uint32_t> order;
  };
  std::string &slot();
  void serialize(const json &value, std::string &out);

  std::vector<Frame> m_frames;
  std::size_t m_depth = 0;
  std::string m_result;
  std::string m_scratch;
  json m_string = json::string_t();
  std::unique_ptr<nlohmann::detail::serializer<json>> m_serializer;
  bool m_invalid = false;
};

// A block of the input and the entries parsed from it, their fields as slices of one buffer. Batches
// travel from the parser threads to the writer and back, so their buffers are allocated once per import.
struct ImportBatch {
  // Field i (time, actor, action, target, outcome, details) is bytes[bounds[i], bounds[i + 1]).
  struct Record {
    std::array<std::size_t, 7> bounds{};
  };

  int64_t index = 0; // of the block: the writer takes batches in this order
  std::string input; // the block's lines
  std::string bytes;
  std::vector<Record> records;
  std::optional<Error> error;
  bool last = false;

  void clear()
  {
    input.clear();
    bytes.clear();
    records.clear();
    error.reset();
    last = false;
  }
  EntryFields fields(const Record &record, int64_t seq) const
  {
    const std::string_view all(bytes);
    auto field = [&](int i) { return all.substr(record.bounds[i], record.bounds[i + 1] - record.bounds[i]); };
    return EntryFields{seq, field(0), field(1), field(2), field(3), field(4), field(5)};
  }
};

// Cuts an input stream into blocks of whole lines for parser threads to take in turn (thread-safe).
class BlockReader {
public:
  struct Block {
    int64_t index = 0;
    int64_t lines_before = 0; // lines in the blocks before this one
    bool last = false;        // the end of the input (the block may be empty)
    bool failed = false;      // reading failed (rather than ended) after this block
  };

  explicit BlockReader(std::istream &input, std::size_t block_size = std::size_t{512} << 10)
      : m_input(input), m_block_size(block_size)
  {
  }
  // Read the next block into `out` (whole lines, about block_size bytes; a longer line whole); nullopt
  // once the last block has been handed out or after stop().
  std::optional<Block> next(std::string &out);
  // Hand out no more blocks (a parser found a bad line).
  void stop();

private:
  std::mutex m_mutex;
  std::istream &m_input;
  std::size_t m_block_size;
  std::string m_carry; // the start of a line that the last block cut off
  int64_t m_index = 0;
  int64_t m_lines = 0;
  bool m_eof = false;
  bool m_done = false;
};

// Parses one JSON Lines import record at a time into an ImportBatch: a line is an object with action
// and target (required), actor (default `default_actor`), outcome (default ok), details (an object),
// time (default `now`); seq, hash and prev_hash are ignored. A field given twice, a NUL byte and
// details nested more than 64 levels deep are errors. Errors are Errc::parse naming source:line:column.
class RecordParser {
public:
  using json = nlohmann::json;

  RecordParser(std::string source, std::string default_actor, std::string now);
  RecordParser(const RecordParser &) = delete;
  RecordParser &operator=(const RecordParser &) = delete;

  Result<void> parse(std::string_view line, int64_t line_number, ImportBatch &batch);

  // nlohmann's SAX interface.
  bool null() { return scalar(json(nullptr)); }
  bool boolean(bool value) { return scalar(json(value)); }
  bool number_integer(json::number_integer_t value) { return scalar(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return scalar(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t &) { return scalar(json(value)); }
  bool binary(json::binary_t &) { return refuse("binary values are not JSON"); }
  bool string(json::string_t &value);
  bool start_object(std::size_t) { return start(true); }
  bool start_array(std::size_t) { return start(false); }
  bool key(json::string_t &key);
  bool end_object() { return end(); }
  bool end_array() { return end(); }
  bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e);

private:
  bool refuse(std::string message);
  std::string *string_field();
  bool ignored() const;
  bool top_level_value(const char *type);
  bool scalar(const json &value);
  bool start(bool object);
  bool end();

  std::string m_source, m_default_actor, m_now;
  // The record being parsed.
  std::string m_actor, m_action, m_target, m_outcome, m_time;
  bool m_started = false;
  bool m_has_target = false;
  bool m_has_details = false;
  static constexpr int max_details_depth = 64;
  int m_details_depth = 0; // > 0 inside details
  unsigned m_fields_seen = 0; // top-level fields seen, as bits
  int m_skip_depth = 0;    // > 0 inside an ignored field's array or object
  std::string m_key, m_error;
  std::optional<std::pair<std::size_t, std::string>> m_syntax;
  CanonicalJsonWriter m_details;
};

} // namespace complycli::auditlog
