#pragma once

// The stored side of the Merkle tree (internal to auditlog): the perfect subtrees of height
// stored_height and above that the log store keeps, and leaf hashes recomputed from its entries for the
// subtrees below.

#include "auditlog/merkle.hpp"
#include "store/log_store.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace complycli::auditlog {

class TreeStore {
public:
  explicit TreeStore(store::LogStore &store) : m_store(store) {}

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
  using Node = store::TreeNode;
  Result<void> for_each_node(const std::function<Result<void>(const Node &)> &visit)
  {
    return m_store.tree_nodes(visit);
  }

  // Fill the (new, empty) tree from every entry: the version 1 to 2 migration.
  Result<void> fill();

private:
  Result<void> insert(int height, int64_t index, const Hash &hash) { return m_store.insert_tree_node(height, index, hash); }

  store::LogStore &m_store;
  int64_t m_tile = -1; // the tile whose leaves are cached
  std::vector<Hash> m_tile_leaves;
};

} // namespace complycli::auditlog
