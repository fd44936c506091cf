#pragma once

// The audit log's entry rows in PostgreSQL's binary COPY format (COPY ... TO STDOUT (FORMAT binary) of
// seq, time, actor, action, target, outcome, details, prev_hash, hash), parsed as the messages arrive.
// No libpq here: store/postgres_log.cpp receives the messages and hands them over.

#include "core/error.hpp"
#include "store/log_store.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace complycli::store {

class EntryCopyParser {
public:
  // `name` names the store in messages.
  explicit EntryCopyParser(std::string_view name) : m_name(name) {}

  // Take the next message of the stream and call `visit` for every row it completes (a row's fields
  // point into the message, or into this parser, until `feed` returns). The server sends a row per
  // message, but the format does not promise it: a row split across messages is put together here.
  // Errc::io when the bytes are not the rows complycli asked for.
  Result<void> feed(std::string_view message, const std::function<void(const EntryRow &)> &visit);

  // Errc::io unless the stream ended with its trailer and no partial row.
  Result<void> finish() const;

private:
  // Visit the whole rows at the start of `data`; returns how many bytes they (and the header) took.
  Result<std::size_t> rows_in(std::string_view data, const std::function<void(const EntryRow &)> &visit);

  std::string m_name;
  std::string m_pending; // the start of a row whose end is in the next message
  bool m_header = false;
  bool m_trailer = false;
};

} // namespace complycli::store
