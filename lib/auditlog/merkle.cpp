#include "auditlog/merkle.hpp"

#include "crypto/sha256.hpp"

#include <bit>

namespace complycli::auditlog {

namespace {

bool power_of_two(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

// The largest power of two smaller than n (n >= 2).
int64_t split_point(int64_t n) { return int64_t{1} << (63 - std::countl_zero(static_cast<uint64_t>(n - 1))); }

Result<void> path(const PerfectSource &source, int64_t index, int64_t begin, int64_t end, std::vector<Hash> &out)
{
  const int64_t n = end - begin;
  if (n <= 1) {
    return {};
  }
  const int64_t k = split_point(n);
  if (index < begin + k) {
    TRY_VOID(path(source, index, begin, begin + k, out));
    out.push_back(TRY(range_hash(source, begin + k, end)));
  } else {
    TRY_VOID(path(source, index, begin + k, end, out));
    out.push_back(TRY(range_hash(source, begin, begin + k)));
  }
  return {};
}

Result<void> subproof(const PerfectSource &source, int64_t m, int64_t begin, int64_t end, bool whole,
                      std::vector<Hash> &out)
{
  const int64_t n = end - begin;
  if (m == n) {
    if (!whole) {
      out.push_back(TRY(range_hash(source, begin, end)));
    }
    return {};
  }
  const int64_t k = split_point(n);
  if (m <= k) {
    TRY_VOID(subproof(source, m, begin, begin + k, whole, out));
    out.push_back(TRY(range_hash(source, begin + k, end)));
  } else {
    TRY_VOID(subproof(source, m - k, begin + k, end, false, out));
    out.push_back(TRY(range_hash(source, begin, begin + k)));
  }
  return {};
}

} // namespace

Hash leaf_hash(std::span<const uint8_t> data)
{
  constexpr uint8_t prefix = 0x00;
  return crypto::sha256({{&prefix, 1}, data});
}

Hash node_hash(const Hash &left, const Hash &right)
{
  constexpr uint8_t prefix = 0x01;
  return crypto::sha256({{&prefix, 1}, left, right});
}

Hash empty_root()
{
  // SHA-256("")
  static const Hash empty = crypto::sha256({});
  return empty;
}

Hash root_of(std::span<const Hash> leaves)
{
  if (leaves.empty()) {
    return empty_root();
  }
  if (leaves.size() == 1) {
    return leaves[0];
  }
  const auto k = static_cast<std::size_t>(split_point(static_cast<int64_t>(leaves.size())));
  return node_hash(root_of(leaves.first(k)), root_of(leaves.subspan(k)));
}

Result<Hash> range_hash(const PerfectSource &source, int64_t begin, int64_t end)
{
  const int64_t n = end - begin;
  if (n <= 0) {
    return empty_root();
  }
  if (power_of_two(n) && begin % n == 0) {
    return source(std::countr_zero(static_cast<uint64_t>(n)), begin / n);
  }
  const int64_t k = power_of_two(n) ? n / 2 : split_point(n);
  const auto left = TRY(range_hash(source, begin, begin + k));
  const auto right = TRY(range_hash(source, begin + k, end));
  return node_hash(left, right);
}

Result<Hash> tree_root(const PerfectSource &source, int64_t size) { return range_hash(source, 0, size); }

Result<std::vector<Hash>> inclusion_proof(const PerfectSource &source, int64_t index, int64_t size)
{
  if (index < 0 || index >= size) {
    return fail(Errc::usage, "leaf index {} is not in a tree of size {}", index, size);
  }
  std::vector<Hash> out;
  TRY_VOID(path(source, index, 0, size, out));
  return out;
}

Result<std::vector<Hash>> consistency_proof(const PerfectSource &source, int64_t old_size, int64_t new_size)
{
  if (old_size < 0 || old_size > new_size) {
    return fail(Errc::usage, "no consistency proof from size {} to the smaller size {}", old_size, new_size);
  }
  std::vector<Hash> out;
  if (old_size == 0 || old_size == new_size) {
    return out;
  }
  TRY_VOID(subproof(source, old_size, 0, new_size, true, out));
  return out;
}

bool verify_inclusion(const Hash &leaf, int64_t index, int64_t size, std::span<const Hash> proof,
                      const Hash &root)
{
  if (index < 0 || index >= size) {
    return false;
  }
  auto fn = static_cast<uint64_t>(index);
  auto sn = static_cast<uint64_t>(size - 1);
  Hash r = leaf;
  for (const auto &p : proof) {
    if (sn == 0) {
      return false;
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_consistency(int64_t old_size, int64_t new_size, const Hash &old_root, const Hash &new_root,
                        std::span<const Hash> proof)
{
  if (old_size < 0 || old_size > new_size) {
    return false;
  }
  if (old_size == 0) {
    return proof.empty() && old_root == empty_root();
  }
  if (old_size == new_size) {
    return proof.empty() && old_root == new_root;
  }
  std::vector<Hash> path(proof.begin(), proof.end());
  if (power_of_two(old_size)) {
    path.insert(path.begin(), old_root);
  }
  if (path.empty()) {
    return false;
  }
  auto fn = static_cast<uint64_t>(old_size - 1);
  auto sn = static_cast<uint64_t>(new_size - 1);
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const auto &c = path[i];
    if (sn == 0) {
      return false;
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

Result<TreeBuilder> TreeBuilder::resume(const PerfectSource &source, int64_t size)
{
  TreeBuilder builder;
  builder.m_size = size;
  int64_t begin = 0;
  for (int h = 62; h >= 0; --h) {
    if (((size >> h) & 1) != 0) {
      if (builder.m_edge.size() <= static_cast<std::size_t>(h)) {
        builder.m_edge.resize(static_cast<std::size_t>(h) + 1);
      }
      builder.m_edge[static_cast<std::size_t>(h)] = TRY(source(h, begin >> h));
      begin += int64_t{1} << h;
    }
  }
  return builder;
}

Result<void> TreeBuilder::add(const Hash &leaf, const NodeSink &on_node)
{
  const int64_t index = m_size;
  Hash hash = leaf;
  std::size_t h = 0;
  while (((m_size >> h) & 1) != 0) {
    hash = node_hash(m_edge[h], hash);
    ++h;
    if (h >= static_cast<std::size_t>(stored_height) && on_node) {
      TRY_VOID(on_node(static_cast<int>(h), index >> h, hash));
    }
  }
  if (m_edge.size() <= h) {
    m_edge.resize(h + 1);
  }
  m_edge[h] = hash;
  ++m_size;
  return {};
}

Hash TreeBuilder::root() const
{
  if (m_size == 0) {
    return empty_root();
  }
  std::optional<Hash> r;
  for (std::size_t h = 0; h < m_edge.size(); ++h) {
    if (((m_size >> h) & 1) != 0) {
      r = r ? node_hash(m_edge[h], *r) : m_edge[h];
    }
  }
  return *r;
}

} // namespace complycli::auditlog
