#include "auditlog/tree_store.hpp"

#include <algorithm>
#include <cstdint>

namespace complycli::auditlog {

Result<std::vector<Hash>> TreeStore::leaves(int64_t begin, int64_t end)
{
  std::vector<Hash> out;
  out.reserve(static_cast<std::size_t>(std::max<int64_t>(0, std::min<int64_t>(end - begin, tile_width))));
  EntryHasher hasher;
  if (auto done_ = m_store.entries(begin + 1, end, [&](const store::EntryRow &row) -> Result<void> {
    Hash prev_hash{};
    std::copy_n(row.prev_hash.begin(), std::min<std::size_t>(row.prev_hash.size(), 32), prev_hash.begin());
    out.push_back(hasher.leaf(EntryFields{row.seq, row.time, row.actor, row.action, row.target, row.outcome,
                                          row.details},
                              prev_hash));
    return {};
  }); !done_) {
    return std::unexpected(done_.error());
  }
  return out;
}

Result<Hash> TreeStore::perfect(int height, int64_t index)
{
  if (height >= stored_height) {
    if (auto hash = TRY(m_store.tree_node(height, index))) {
      return *hash;
    }
    const auto left = TRY(perfect(height - 1, 2 * index));
    const auto right = TRY(perfect(height - 1, 2 * index + 1));
    return node_hash(left, right);
  }
  const int64_t first = index << height;
  const int64_t tile = first / tile_width;
  if (tile != m_tile) {
    m_tile_leaves = TRY(leaves(tile * tile_width, (tile + 1) * tile_width));
    m_tile = tile;
  }
  const auto offset = static_cast<std::size_t>(first - tile * tile_width);
  const auto count = std::size_t{1} << height;
  if (offset + count > m_tile_leaves.size()) {
    return fail(Errc::chain_broken, "entry {} is missing from the log", tile * tile_width + 1 +
                                                                         static_cast<int64_t>(m_tile_leaves.size()));
  }
  return root_of(std::span<const Hash>(m_tile_leaves).subspan(offset, count));
}

Result<void> TreeStore::grow_to(int64_t size)
{
  if (size % tile_width != 0 || size == 0) {
    return {};
  }
  m_tile = -1; // the tile's last leaf is new
  int64_t index = size / tile_width - 1;
  int height = stored_height;
  const auto leaves_of_tile = TRY(leaves(index * tile_width, size));
  if (static_cast<int64_t>(leaves_of_tile.size()) != tile_width) {
    return fail(Errc::chain_broken, "the log has gaps before entry {}", size);
  }
  Hash hash = root_of(leaves_of_tile);
  TRY_VOID(insert(height, index, hash));
  while ((index & 1) == 1) {
    const auto left = TRY(perfect(height, index - 1));
    hash = node_hash(left, hash);
    index >>= 1;
    ++height;
    TRY_VOID(insert(height, index, hash));
  }
  return {};
}

Result<TreeBuilder::NodeSink> TreeStore::sink()
{
  return TreeBuilder::NodeSink([this](int height, int64_t index, const Hash &hash) {
    return insert(height, index, hash);
  });
}

Result<void> TreeStore::fill()
{
  EntryHasher hasher;
  TreeBuilder builder;
  const auto on_node = TRY(sink());
  return m_store.entries(1, INT64_MAX, [&](const store::EntryRow &row) -> Result<void> {
    Hash prev_hash{};
    std::copy_n(row.prev_hash.begin(), std::min<std::size_t>(row.prev_hash.size(), 32), prev_hash.begin());
    Hash leaf{};
    hasher.hash(EntryFields{row.seq, row.time, row.actor, row.action, row.target, row.outcome, row.details},
                prev_hash, &leaf);
    return builder.add(leaf, on_node);
  });
}

} // namespace complycli::auditlog
