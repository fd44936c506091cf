#include "auditlog/tree_store.hpp"

#include <algorithm>

namespace complycli::auditlog {

Result<std::optional<Hash>> TreeStore::stored(int height, int64_t index)
{
  if (!m_has_table) {
    auto check = TRY(m_db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'merkle'"));
    TRY(check.step());
    m_has_table = check.int64(0) == 1;
  }
  if (!*m_has_table) {
    return std::optional<Hash>();
  }
  if (m_select.get() == nullptr) {
    m_select = TRY(m_db.prepare("SELECT hash FROM merkle WHERE height = ?1 AND idx = ?2"));
  }
  m_select.bind(1, int64_t{height});
  m_select.bind(2, index);
  std::optional<Hash> out;
  if (TRY(m_select.step())) {
    const auto blob = m_select.blob(0);
    if (blob.size() == 32) {
      out.emplace();
      std::copy(blob.begin(), blob.end(), out->begin());
    }
  }
  m_select.reset();
  return out;
}

Result<std::vector<Hash>> TreeStore::leaves(int64_t begin, int64_t end)
{
  if (m_leaves.get() == nullptr) {
    m_leaves = TRY(m_db.prepare("SELECT seq, time, actor, action, target, outcome, details, prev_hash FROM entries "
                                "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"));
  }
  m_leaves.bind(1, begin);
  m_leaves.bind(2, end);
  std::vector<Hash> out;
  out.reserve(static_cast<std::size_t>(std::max<int64_t>(0, std::min<int64_t>(end - begin, tile_width))));
  EntryHasher hasher(HashEngine::single);
  while (TRY(m_leaves.step())) {
    const auto prev = m_leaves.blob(7);
    Hash prev_hash{};
    std::copy_n(prev.begin(), std::min<std::size_t>(prev.size(), 32), prev_hash.begin());
    Hash leaf{};
    hasher.hash(EntryFields{m_leaves.int64(0), m_leaves.text(1), m_leaves.text(2), m_leaves.text(3),
                            m_leaves.text(4), m_leaves.text(5), m_leaves.text(6)},
                prev_hash, &leaf);
    out.push_back(leaf);
  }
  m_leaves.reset();
  return out;
}

Result<Hash> TreeStore::perfect(int height, int64_t index)
{
  if (height >= stored_height) {
    if (auto hash = TRY(stored(height, index))) {
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

Result<void> TreeStore::insert(int height, int64_t index, const Hash &hash)
{
  if (m_insert.get() == nullptr) {
    m_insert = TRY(m_db.prepare("INSERT INTO merkle(height, idx, hash) VALUES (?1, ?2, ?3)"));
  }
  m_insert.bind(1, int64_t{height});
  m_insert.bind(2, index);
  m_insert.bind_blob(3, hash);
  TRY(m_insert.step());
  m_insert.reset();
  return {};
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

Result<void> TreeStore::for_each_node(const std::function<Result<void>(const Node &)> &visit)
{
  auto check = TRY(m_db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'merkle'"));
  TRY(check.step());
  if (check.int64(0) == 0) {
    return {};
  }
  auto rows = TRY(m_db.prepare("SELECT height, idx, hash FROM merkle ORDER BY height, idx"));
  while (TRY(rows.step())) {
    Node node;
    node.height = static_cast<int>(rows.int64(0));
    node.index = rows.int64(1);
    const auto blob = rows.blob(2);
    std::copy_n(blob.begin(), std::min<std::size_t>(blob.size(), 32), node.hash.begin());
    TRY_VOID(visit(node));
  }
  return {};
}

Result<void> TreeStore::create_and_fill()
{
  TRY_VOID(m_db.exec(merkle_schema_sql));
  m_has_table = true;
  auto rows = TRY(m_db.prepare("SELECT seq, time, actor, action, target, outcome, details, prev_hash FROM entries "
                               "ORDER BY seq"));
  EntryHasher hasher;
  TreeBuilder builder;
  const auto on_node = TRY(sink());
  while (TRY(rows.step())) {
    const auto prev = rows.blob(7);
    Hash prev_hash{};
    std::copy_n(prev.begin(), std::min<std::size_t>(prev.size(), 32), prev_hash.begin());
    Hash leaf{};
    hasher.hash(EntryFields{rows.int64(0), rows.text(1), rows.text(2), rows.text(3), rows.text(4), rows.text(5),
                            rows.text(6)},
                prev_hash, &leaf);
    TRY_VOID(builder.add(leaf, on_node));
  }
  return {};
}

} // namespace complycli::auditlog
