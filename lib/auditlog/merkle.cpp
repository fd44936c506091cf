#include "auditlog/merkle.hpp"

#include <bit>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdexcept>

namespace complycli::auditlog {

namespace {

// One SHA-256 context per thread, reused for every node (verify hashes one node per entry). The first
// software_digests digests of a thread use libsodium's SHA-256, which costs nothing to start; the rest
// OpenSSL's (SHA-NI, about 4x faster per node), whose first digest in a process costs about 1 ms to
// start (HashEngine in entry.hpp), as long as ~2,000 software node hashes. So one proof (a few hundred
// nodes) never starts OpenSSL, and a verify of millions pays its start once. Both give the same hashes.
class Sha256 {
public:
  static constexpr int software_digests = 2048;

  Sha256() = default;
  ~Sha256()
  {
    EVP_MD_CTX_free(m_ctx);
    EVP_MD_free(m_md);
  }
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;

  Hash digest(uint8_t prefix, std::span<const uint8_t> a, std::span<const uint8_t> b = {})
  {
    Hash out{};
    if (m_md == nullptr && ++m_software < software_digests) {
      crypto_hash_sha256_state state;
      crypto_hash_sha256_init(&state);
      crypto_hash_sha256_update(&state, &prefix, 1);
      crypto_hash_sha256_update(&state, a.data(), a.size());
      crypto_hash_sha256_update(&state, b.data(), b.size());
      crypto_hash_sha256_final(&state, out.data());
      return out;
    }
    if (m_md == nullptr) {
      m_md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
      m_ctx = EVP_MD_CTX_new();
      if (m_md == nullptr || m_ctx == nullptr) {
        throw std::runtime_error("OpenSSL cannot provide SHA-256");
      }
    }
    unsigned int size = 0;
    if (EVP_DigestInit_ex(m_ctx, m_md, nullptr) != 1 || EVP_DigestUpdate(m_ctx, &prefix, 1) != 1 ||
        EVP_DigestUpdate(m_ctx, a.data(), a.size()) != 1 ||
        (!b.empty() && EVP_DigestUpdate(m_ctx, b.data(), b.size()) != 1) ||
        EVP_DigestFinal_ex(m_ctx, out.data(), &size) != 1 || size != out.size()) {
      throw std::runtime_error("OpenSSL SHA-256 failed");
    }
    return out;
  }

private:
  int m_software = 0;
  EVP_MD *m_md = nullptr;
  EVP_MD_CTX *m_ctx = nullptr;
};

Sha256 &sha256()
{
  thread_local Sha256 context;
  return context;
}

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

Hash leaf_hash(std::span<const uint8_t> data) { return sha256().digest(0x00, data); }

Hash node_hash(const Hash &left, const Hash &right) { return sha256().digest(0x01, left, right); }

Hash empty_root()
{
  // SHA-256("")
  static const Hash empty = [] {
    Hash out{};
    crypto_hash_sha256(out.data(), nullptr, 0);
    return out;
  }();
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
