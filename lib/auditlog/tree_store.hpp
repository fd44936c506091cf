#pragma once

// The SQL side of the Merkle tree (internal to auditlog): the `merkle` table of perfect subtrees of
// height stored_height and above, and leaf hashes recomputed from `entries` for the subtrees below.
// All of the tree's SQL is here, so that a later store interface can replace it in one place.

#include "auditlog/merkle.hpp"
#include "auditlog/sqlite.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace complycli::auditlog {

// Schema version 2 adds this table and its two triggers.
inline constexpr const char *merkle_schema_sql = R"sql(
CREATE TABLE merkle(
  height INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY(height, idx)
) WITHOUT ROWID;
CREATE TRIGGER merkle_no_update BEFORE UPDATE ON merkle
  BEGIN SELECT RAISE(ABORT, 'audit log tree nodes are append-only'); END;
CREATE TRIGGER merkle_no_delete BEFORE DELETE ON merkle
  BEGIN SELECT RAISE(ABORT, 'audit log tree nodes are append-only'); END;
)sql";

class TreeStore {
public:
  explicit TreeStore(Database &db) : m_db(db) {}

  // The hash of a perfect subtree: from `merkle` for height >= stored_height (computed from its children
  // when the row is missing, as in a version 1 log opened read-only), from the entries below that.
  Result<Hash> perfect(int height, int64_t index);
  PerfectSource source()
  {
    return [this](int height, int64_t index) { return perfect(height, index); };
  }
  // Leaf hashes of the entries with leaf index [begin, end) (seq begin + 1 to end), in order; fewer when
  // the log ends earlier.
  Result<std::vector<Hash>> leaves(int64_t begin, int64_t end);

  // Store the stored_height subtree that an append making the log `size` long completed (when size is
  // a multiple of tile_width) and the perfect subtrees above it that it completes.
  Result<void> grow_to(int64_t size);
  // A sink for TreeBuilder that inserts its nodes (import, migration).
  Result<TreeBuilder::NodeSink> sink();

  // Every stored node, for verify to compare: (height, index, hash) by height then index.
  struct Node {
    int height = 0;
    int64_t index = 0;
    Hash hash{};
  };
  Result<void> for_each_node(const std::function<Result<void>(const Node &)> &visit);

  // Create the table (and triggers) and fill it from the entries: the version 1 to 2 migration.
  Result<void> create_and_fill();

private:
  Result<std::optional<Hash>> stored(int height, int64_t index);
  Result<void> insert(int height, int64_t index, const Hash &hash);

  Database &m_db;
  std::optional<bool> m_has_table;
  Statement m_select, m_insert, m_leaves;
  int64_t m_tile = -1; // the tile whose leaves are cached
  std::vector<Hash> m_tile_leaves;
};

} // namespace complycli::auditlog
