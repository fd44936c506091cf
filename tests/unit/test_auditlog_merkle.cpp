#include "auditlog/auditlog.hpp"
#include "auditlog/merkle.hpp"
#include "test_support.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sstream>
#include <thread>

using namespace complycli;
using namespace complycli::auditlog;

namespace {

std::vector<Hash> test_leaves(int n)
{
  std::vector<Hash> out;
  for (int i = 0; i < n; ++i) {
    const uint8_t byte = static_cast<uint8_t>(i);
    out.push_back(leaf_hash(std::span<const uint8_t>(&byte, 1)));
  }
  return out;
}

PerfectSource source_of(const std::vector<Hash> &leaves)
{
  return [&leaves](int height, int64_t index) -> Result<Hash> {
    const auto width = std::size_t{1} << height;
    return root_of(std::span<const Hash>(leaves).subspan(static_cast<std::size_t>(index) * width, width));
  };
}

} // namespace

TEST_CASE("merkle: RFC 6962 known answers")
{
  // The empty tree and a one-leaf tree (RFC 6962 section 2.1; values as in Go's tlog package tests).
  CHECK(util::to_hex(empty_root()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(util::to_hex(leaf_hash({})) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  // Certificate Transparency's reference tree of the 8 test inputs has root 5dc9da79...
  const std::vector<std::vector<uint8_t>> inputs{
      {}, {0x00}, {0x10}, {0x20, 0x21}, {0x30, 0x31}, {0x40, 0x41, 0x42, 0x43},
      {0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57}, {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
                                                       0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f}};
  std::vector<Hash> leaves;
  for (const auto &input : inputs) {
    leaves.push_back(leaf_hash(input));
  }
  CHECK(util::to_hex(root_of(leaves)) == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
}

// (A proof does not bind the tree size: the signed checkpoint does, so size is not varied here.)
TEST_CASE("merkle: a thread's first node hashes (libsodium) and its later ones (OpenSSL) agree")
{
  // Each thread hashes its first nodes with libsodium and switches to OpenSSL after a few thousand
  // (merkle.cpp): the same inputs must give the same hash before and after the switch, for leaves and
  // nodes, and a fresh thread must agree with this one.
  const std::vector<uint8_t> data{'c', 'o', 'm', 'p', 'l', 'y'};
  auto hashes_in_new_thread = [&] {
    std::array<Hash, 4> out{};
    std::thread([&] {
      out[0] = leaf_hash(data);
      out[1] = node_hash(out[0], empty_root());
      Hash running = out[1];
      for (int i = 0; i < 5000; ++i) {
        running = node_hash(running, out[0]);
      }
      out[2] = leaf_hash(data);
      out[3] = node_hash(out[2], empty_root());
    }).join();
    return out;
  };
  const auto first = hashes_in_new_thread();
  CHECK(first[0] == first[2]);
  CHECK(first[1] == first[3]);
  std::array<uint8_t, 65> node_input{};
  node_input[0] = 0x01;
  std::copy(first[0].begin(), first[0].end(), node_input.begin() + 1);
  const auto empty = empty_root();
  std::copy(empty.begin(), empty.end(), node_input.begin() + 33);
  Hash expected{};
  crypto_hash_sha256(expected.data(), node_input.data(), node_input.size());
  CHECK(first[3] == expected);
  CHECK(hashes_in_new_thread() == first);
}

TEST_CASE("merkle: every proof of trees of size 1..64 verifies, and wrong ones do not")
{
  const auto leaves = test_leaves(64);
  const auto source = source_of(leaves);
  for (int64_t n = 1; n <= 64; ++n) {
    const auto root = tree_root(source, n).value();
    CHECK(root == root_of(std::span<const Hash>(leaves).first(static_cast<std::size_t>(n))));
    TreeBuilder builder;
    for (int64_t i = 0; i < n; ++i) {
      REQUIRE(builder.add(leaves[static_cast<std::size_t>(i)], {}));
    }
    CHECK(builder.root() == root);
    for (int64_t i = 0; i < n; ++i) {
      const auto proof = inclusion_proof(source, i, n).value();
      CHECK(verify_inclusion(leaves[static_cast<std::size_t>(i)], i, n, proof, root));
      CHECK_FALSE(verify_inclusion(leaves[static_cast<std::size_t>((i + 1) % 64)], i, n, proof, root));
      if (n > 1) {
        CHECK_FALSE(verify_inclusion(leaves[static_cast<std::size_t>(i)], (i + 1) % n, n, proof, root));
      }
    }
    for (int64_t m = 1; m <= n; ++m) {
      const auto old_root = tree_root(source, m).value();
      const auto proof = consistency_proof(source, m, n).value();
      CHECK(verify_consistency(m, n, old_root, root, proof));
      if (m < n) {
        CHECK_FALSE(verify_consistency(m, n, leaves[0] == old_root ? leaves[1] : leaves[0], root, proof));
      }
    }
  }
}

TEST_CASE("merkle: TreeBuilder resumes and reports stored subtrees")
{
  const auto leaves = test_leaves(64);
  std::vector<Hash> many;
  for (int i = 0; i < 1000; ++i) {
    many.push_back(leaves[static_cast<std::size_t>(i % 64)]);
  }
  const auto source = source_of(many);
  TreeBuilder whole;
  int nodes = 0;
  for (const auto &leaf : many) {
    REQUIRE(whole.add(leaf, [&](int height, int64_t index, const Hash &hash) -> Result<void> {
      CHECK(height >= stored_height);
      CHECK(hash == source(height, index).value());
      ++nodes;
      return {};
    }));
  }
  CHECK(nodes == 3 + 1); // three tiles of 256, one subtree of 512
  auto resumed = TreeBuilder::resume(source, 777).value();
  for (std::size_t i = 777; i < many.size(); ++i) {
    REQUIRE(resumed.add(many[i], {}));
  }
  CHECK(resumed.root() == whole.root());
  CHECK(whole.root() == root_of(many));
}

TEST_CASE("merkle: the log's tree, proofs and checkpoints")
{
  REQUIRE(sodium_init() >= 0);
  test::TestContext t;
  auto log = AuditLog::open(t.path("audit.db"), t.path("log.key")).value();
  std::ostringstream lines;
  for (int i = 0; i < 700; ++i) {
    lines << fmt::format(R"({{"action":"a","target":"t{}","details":{{"i":{}}}}})", i, i) << "\n";
  }
  std::istringstream input(lines.str());
  REQUIRE(log.import(input, "input", "me").value() == 700);
  for (int i = 0; i < 300; ++i) { // appends across tile boundaries and the checkpoint at 1000
    NewEntry entry;
    entry.actor = "me";
    entry.action = "b";
    entry.target = std::to_string(i);
    REQUIRE(log.append(entry));
  }
  std::vector<Hash> leaves;
  REQUIRE(log.for_each({}, [&](const Entry &e) -> Result<void> {
    const auto data = entry_leaf_data(e);
    leaves.push_back(leaf_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(data.data()), data.size())));
    return {};
  }));
  REQUIRE(leaves.size() == 1000);
  for (int64_t n : {1, 255, 256, 257, 700, 999, 1000}) {
    CHECK(log.tree_root(n).value() == root_of(std::span<const Hash>(leaves).first(static_cast<std::size_t>(n))));
  }
  // The automatic checkpoint at 1000 carries the root and the head.
  const auto key = log.public_key().value();
  const auto stored = log.latest_checkpoint().value();
  REQUIRE(stored);
  const auto body = open_checkpoint(stored->note, key).value();
  REQUIRE(body.root);
  CHECK(*body.root == root_of(leaves));
  CHECK(body.head == log.get(1000).value()->hash);
  for (int64_t seq : {1, 256, 257, 513, 1000}) {
    const auto proof = log.prove(seq).value();
    CHECK(proof.index == seq - 1);
    CHECK(verify_proof(parse_proof(format_proof(proof)).value(), leaves[static_cast<std::size_t>(seq - 1)], key));
    CHECK_FALSE(verify_proof(proof, leaves[static_cast<std::size_t>(seq % 1000)], key));
  }
  const auto consistency = log.consistency_proof(300, 1000).value();
  CHECK(verify_consistency(300, 1000, log.tree_root(300).value(), root_of(leaves), consistency));
  const auto report = log.verify({}).value();
  CHECK_FALSE(report.problem);
  CHECK(report.root == root_of(leaves));
}

TEST_CASE("merkle: verify catches a forged tree node and a checkpoint over another tree")
{
  REQUIRE(sodium_init() >= 0);
  test::TestContext t;
  {
    auto log = AuditLog::open(t.path("audit.db"), t.path("log.key")).value();
    std::ostringstream lines;
    for (int i = 0; i < 600; ++i) {
      lines << R"({"action":"a","target":"t"})" << "\n";
    }
    std::istringstream input(lines.str());
    REQUIRE(log.import(input, "input", "me"));
  }
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open(t.path("audit.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "DROP TRIGGER merkle_no_update; UPDATE merkle SET hash = zeroblob(32) WHERE height = 8 AND "
                       "idx = 1",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto log = AuditLog::open(t.path("audit.db"), t.path("log.key")).value();
  const auto report = log.verify({}).value();
  REQUIRE(report.problem);
  CHECK(report.problem->kind == "tree node mismatch");
  CHECK(report.problem->seq == 512);
}
