#pragma once

// RFC 6962 / RFC 9162 Merkle trees over the audit log: leaf and node hashes, tree heads, inclusion and
// consistency proofs and their verification. Pure computation: the hashes of stored subtrees come from
// a SubtreeSource (tree_store.hpp reads them from audit.db). docs/audit-log.md, "Merkle tree".

#include "auditlog/entry.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace complycli::auditlog {

// Height of a tile: the subtrees of 2^8 leaves and above are stored; those below are recomputed from
// the entries (at most 256 of them) when a proof needs them.
inline constexpr int stored_height = 8;
inline constexpr int64_t tile_width = int64_t{1} << stored_height;

// SHA-256(0x00 || data)
Hash leaf_hash(std::span<const uint8_t> data);
// SHA-256(0x01 || left || right)
Hash node_hash(const Hash &left, const Hash &right);
// The root of the empty tree: SHA-256 of nothing.
Hash empty_root();
// The root of leaves [0, n) given their hashes (RFC 6962 MTH), for small trees and tests.
Hash root_of(std::span<const Hash> leaves);

// The hash of the perfect subtree of 2^height leaves starting at leaf index << height.
using PerfectSource = std::function<Result<Hash>(int height, int64_t index)>;

// MTH(D[begin:end]) for a range as RFC 6962's recursion visits it: [begin, end) where begin is a multiple
// of the largest power of two not above end - begin, built from perfect subtrees.
Result<Hash> range_hash(const PerfectSource &source, int64_t begin, int64_t end);
// The tree head of size n.
Result<Hash> tree_root(const PerfectSource &source, int64_t size);

// RFC 6962 2.1.1 PATH(index, D[0:size]): the sibling hashes from the leaf's up to the root's children.
Result<std::vector<Hash>> inclusion_proof(const PerfectSource &source, int64_t index, int64_t size);
// RFC 6962 2.1.2 PROOF(old_size, D[0:new_size]).
Result<std::vector<Hash>> consistency_proof(const PerfectSource &source, int64_t old_size, int64_t new_size);

// RFC 9162 2.1.3.2: whether `proof` proves the leaf `leaf` at `index` in the tree of `size` with `root`.
bool verify_inclusion(const Hash &leaf, int64_t index, int64_t size, std::span<const Hash> proof,
                      const Hash &root);
// RFC 9162 2.1.4.2: whether `proof` proves the tree (`old_size`, `old_root`) is a prefix of (`new_size`,
// `new_root`).
bool verify_consistency(int64_t old_size, int64_t new_size, const Hash &old_root, const Hash &new_root,
                        std::span<const Hash> proof);

// Builds a tree leaf by leaf, keeping only its right edge (one hash per set bit of the size), and calls
// `on_node` for every perfect subtree of height stored_height or more it completes.
class TreeBuilder {
public:
  using NodeSink = std::function<Result<void>(int height, int64_t index, const Hash &hash)>;
  TreeBuilder() = default;
  // Start from an existing tree of `size` leaves whose perfect subtrees `source` gives.
  static Result<TreeBuilder> resume(const PerfectSource &source, int64_t size);

  Result<void> add(const Hash &leaf, const NodeSink &on_node);
  int64_t size() const { return m_size; }
  Hash root() const;

private:
  int64_t m_size = 0;
  std::vector<Hash> m_edge; // m_edge[h]: the perfect subtree of height h on the right edge, when bit h is set
};

} // namespace complycli::auditlog
