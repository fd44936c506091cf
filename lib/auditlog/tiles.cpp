#include "auditlog/tiles.hpp"

#include "auditlog/merkle.hpp"
#include "auditlog/tree_store.hpp"
#include "util/file.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>

namespace complycli::auditlog {

namespace fs = std::filesystem;

namespace {

constexpr int tile_height = stored_height; // 8: a tile is a subtree of height 8 of its level's hashes
constexpr std::size_t hash_size = 32;

std::span<const uint8_t> bytes_of(std::string_view text)
{
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

std::string_view text_of(const Hash &hash)
{
  return {reinterpret_cast<const char *>(hash.data()), hash.size()};
}

// The number of hashes at `level` in a tree of `size` leaves: subtrees of 256^level leaves.
int64_t level_count(int64_t size, int level)
{
  return level * tile_height >= 63 ? 0 : size >> (level * tile_height);
}

Result<void> write_tile(const fs::path &folder, const std::string &relative, std::string_view content)
{
  const auto path = folder / relative;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(Errc::io, "cannot create the folder {}: {}", path.parent_path().string(), ec.message());
  }
  return util::write_file_atomic(path, content, util::Overwrite::yes);
}

uint64_t read_be(std::string_view bytes, std::size_t at, int width)
{
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    value = value << 8 | static_cast<uint8_t>(bytes[at + static_cast<std::size_t>(i)]);
  }
  return value;
}

// Split leaf data (docs/audit-log.md, "Entry hash") back into its fields; nullopt when it is not one
// encoded entry exactly.
std::optional<std::pair<EntryFields, Hash>> decode_entry(std::string_view data)
{
  if (data.size() < entry_domain.size() + 8 + 6 * 4 + 32 || data.substr(0, entry_domain.size()) != entry_domain) {
    return std::nullopt;
  }
  std::size_t at = entry_domain.size();
  EntryFields fields;
  const auto seq = read_be(data, at, 8);
  if (seq > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  fields.seq = static_cast<int64_t>(seq);
  at += 8;
  std::string_view *slots[] = {&fields.time, &fields.actor, &fields.action, &fields.target, &fields.outcome,
                               &fields.details};
  for (auto *slot : slots) {
    if (data.size() - at < 4) {
      return std::nullopt;
    }
    const auto length = read_be(data, at, 4);
    at += 4;
    if (data.size() - at < length) {
      return std::nullopt;
    }
    *slot = data.substr(at, length);
    at += length;
  }
  if (data.size() - at != 32) {
    return std::nullopt;
  }
  Hash prev{};
  std::memcpy(prev.data(), data.data() + at, 32);
  return std::make_pair(fields, prev);
}

Result<std::optional<std::string>> read_if_exists(const fs::path &path)
{
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(TRY(util::read_file(path)));
}

} // namespace

std::string tile_path(int level, int64_t index, int width)
{
  std::string digits = fmt::format("{:03}", index % 1000);
  for (int64_t rest = index / 1000; rest > 0; rest /= 1000) {
    digits = fmt::format("x{:03}/", rest % 1000) + digits;
  }
  std::string out = level < 0 ? "tile/entries/" : fmt::format("tile/{}/", level);
  out += digits;
  if (width > 0 && width < tile_width) {
    out += fmt::format(".p/{}", width);
  }
  return out;
}

Result<PublishReport> publish_tiles(AuditLog &log, const fs::path &folder)
{
  auto &db = log.store();
  const auto key = TRY(log.public_key());
  const int64_t entries = TRY(db.max_seq());
  // The checkpoint to publish: the newest stored one if it covers every entry, else a new one.
  std::optional<StoredCheckpoint> chosen = TRY(log.latest_checkpoint());
  std::optional<CheckpointBody> body;
  if (chosen) {
    if (auto opened = open_checkpoint(chosen->note, key); opened && opened->root) {
      body = *opened;
    }
  }
  if (!body || body->size != entries) {
    if (db.read_only()) {
      if (!body) {
        return fail_with_hint(Errc::io, "run `complycli audit checkpoint` in the workspace first",
                              "no stored checkpoint with a Merkle root to publish");
      }
    } else {
      chosen = TRY(log.checkpoint());
      body = TRY(open_checkpoint(chosen->note, key));
    }
  }
  const int64_t size = body->size;

  // What the folder held before: it must be an earlier state of this very log.
  PublishReport report;
  report.size = size;
  report.checkpoint = chosen->note;
  const auto checkpoint_path = folder / "checkpoint";
  if (const auto old_note = TRY(read_if_exists(checkpoint_path))) {
    auto old = open_checkpoint(*old_note, key);
    if (!old || !old->root) {
      return fail_with_hint(Errc::usage, "publish to an empty folder, or to the one this log was published to",
                            "{} is not a checkpoint of this log ({})", checkpoint_path.string(),
                            old ? "no Merkle root" : old.error().message);
    }
    if (old->size > size) {
      return fail(Errc::usage, "{} covers {} entries, more than the {} being published", checkpoint_path.string(),
                  old->size, size);
    }
    if (TRY(log.tree_root(old->size)) != *old->root) {
      return fail(Errc::usage, "{} is not an earlier state of this log: its root for {} entries differs",
                  checkpoint_path.string(), old->size);
    }
    report.previous_size = old->size;
  }
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    return fail(Errc::io, "cannot create the folder {}: {}", folder.string(), ec.message());
  }

  // Level 0 tiles and entry bundles, from the first tile the previous publish left partial.
  const int64_t first_tile = report.previous_size / tile_width;
  {
    std::string bundle, tile, data;
    int64_t expected = first_tile * tile_width + 1;
    auto flush = [&](int64_t index, int width) -> Result<void> {
      TRY_VOID(write_tile(folder, tile_path(-1, index, width), bundle));
      TRY_VOID(write_tile(folder, tile_path(0, index, width), tile));
      report.files += 2;
      bundle.clear();
      tile.clear();
      return {};
    };
    if (auto done_ = db.entries(first_tile * tile_width + 1, size, [&](const store::EntryRow &row) -> Result<void> {
      const int64_t seq = row.seq;
      if (seq != expected) {
        return fail_with_hint(Errc::chain_broken, "run `complycli audit verify`", "entry {} is missing", expected);
      }
      Hash prev_hash{};
      std::copy_n(row.prev_hash.begin(), std::min<std::size_t>(row.prev_hash.size(), 32), prev_hash.begin());
      data.clear();
      encode_entry(data, EntryFields{seq, row.time, row.actor, row.action, row.target, row.outcome, row.details},
                   prev_hash);
      if (data.size() > max_bundle_entry) {
        return fail(Errc::usage, "entry {} is {} bytes long: an entry bundle holds entries of at most {} bytes", seq,
                    data.size(), max_bundle_entry);
      }
      bundle.push_back(static_cast<char>(data.size() >> 8));
      bundle.push_back(static_cast<char>(data.size() & 0xff));
      bundle += data;
      tile += text_of(leaf_hash(bytes_of(data)));
      if (seq % tile_width == 0) {
        TRY_VOID(flush(seq / tile_width - 1, 0));
      }
      ++expected;
      return {};
    }); !done_) {
      return std::unexpected(done_.error());
    }
    if (expected != size + 1) {
      return fail_with_hint(Errc::chain_broken, "run `complycli audit verify`", "entry {} is missing", expected);
    }
    if (size % tile_width != 0) {
      TRY_VOID(flush(size / tile_width, static_cast<int>(size % tile_width)));
    }
  }

  // Levels 1 and up: each hash is a stored perfect subtree of 256^level leaves.
  TreeStore tree(db);
  for (int level = 1; level_count(size, level) > 0; ++level) {
    const int64_t count = level_count(size, level);
    const int64_t first = level_count(report.previous_size, level) / tile_width;
    for (int64_t n = first; n * tile_width < count; ++n) {
      const int64_t width = std::min<int64_t>(tile_width, count - n * tile_width);
      std::string tile;
      for (int64_t i = 0; i < width; ++i) {
        tile += text_of(TRY(tree.perfect(level * tile_height, n * tile_width + i)));
      }
      TRY_VOID(write_tile(folder, tile_path(level, n, static_cast<int>(width)), tile));
      ++report.files;
    }
  }
  // The checkpoint last: until it is renamed into place, the folder serves the previous tree.
  TRY_VOID(util::write_file_atomic(checkpoint_path, report.checkpoint, util::Overwrite::yes));
  return report;
}

Result<TilesReport> verify_tiles(const fs::path &folder, const PublicKey &key)
{
  const auto checkpoint_path = folder / "checkpoint";
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    return fail(Errc::io, "{} is not a folder", folder.string());
  }
  const auto note = TRY(util::read_file(checkpoint_path));
  auto opened = open_checkpoint(note, key);
  if (!opened) {
    return std::unexpected(with_context(opened.error(), checkpoint_path.string()));
  }
  TilesReport report;
  report.checkpoint = *opened;
  const auto &body = report.checkpoint;
  if (!body.root) {
    return fail(Errc::chain_broken, "{}: a version 1 checkpoint (no Merkle root) cannot be checked against tiles",
                checkpoint_path.string());
  }
  const int64_t size = body.size;
  auto read_tile = [&](const std::string &relative) -> Result<std::string> {
    const auto path = folder / relative;
    if (!fs::exists(path, ec)) {
      return fail(Errc::chain_broken, "{} is missing (the checkpoint has {} entries)", path.string(), size);
    }
    return util::read_file(path);
  };

  // Entries and level 0: each bundle against its tile, the hash chain across bundles.
  EntryHasher hasher;
  TreeBuilder builder;
  std::vector<std::vector<Hash>> levels(1); // levels[l]: the hashes at level l >= 1, from the builder
  const TreeBuilder::NodeSink sink = [&](int height, int64_t index, const Hash &hash) -> Result<void> {
    if (height % tile_height == 0) {
      const auto level = static_cast<std::size_t>(height / tile_height);
      if (levels.size() <= level) {
        levels.resize(level + 1);
      }
      if (levels[level].size() != static_cast<std::size_t>(index)) {
        return fail(Errc::internal, "tree node {} at height {} out of order", index, height);
      }
      levels[level].push_back(hash);
    }
    return {};
  };
  Hash head{};
  int64_t seq = 0;
  for (int64_t n = 0; n * tile_width < size; ++n) {
    const int width = static_cast<int>(std::min<int64_t>(tile_width, size - n * tile_width));
    const auto bundle_name = tile_path(-1, n, width);
    const auto tile_name = tile_path(0, n, width);
    const auto bundle = TRY(read_tile(bundle_name));
    const auto tile = TRY(read_tile(tile_name));
    if (tile.size() != static_cast<std::size_t>(width) * hash_size) {
      return fail(Errc::chain_broken, "{}: {} bytes, not the {} of {} hashes", (folder / tile_name).string(),
                  tile.size(), width * hash_size, width);
    }
    std::size_t at = 0;
    for (int i = 0; i < width; ++i) {
      const auto where = (folder / bundle_name).string();
      if (bundle.size() - at < 2) {
        return fail(Errc::chain_broken, "{}: ends after {} of its {} entries", where, i, width);
      }
      const auto length = static_cast<std::size_t>(read_be(bundle, at, 2));
      at += 2;
      if (bundle.size() - at < length) {
        return fail(Errc::chain_broken, "{}: entry {} is cut short", where, seq + 1);
      }
      const std::string_view data(bundle.data() + at, length);
      at += length;
      ++seq;
      const auto decoded = decode_entry(data);
      if (!decoded) {
        return fail(Errc::chain_broken, "{}: entry {} is not an encoded audit entry", where, seq);
      }
      const auto &[fields, prev] = *decoded;
      if (fields.seq != seq) {
        return fail(Errc::chain_broken, "{}: entry {} has sequence number {}", where, seq, fields.seq);
      }
      if (prev != head) {
        return fail(Errc::chain_broken, "{}: entry {}: broken link: its previous hash is not entry {}'s hash", where,
                    seq, seq - 1);
      }
      Hash leaf{};
      head = hasher.hash(fields, prev, &leaf);
      if (std::memcmp(tile.data() + static_cast<std::size_t>(i) * hash_size, leaf.data(), hash_size) != 0) {
        return fail(Errc::chain_broken, "{}: entry {} does not hash to hash {} of {}", where, seq, i,
                    (folder / tile_name).string());
      }
      TRY_VOID(builder.add(leaf, sink));
    }
    if (at != bundle.size()) {
      return fail(Errc::chain_broken, "{}: {} bytes after its {} entries", (folder / bundle_name).string(),
                  bundle.size() - at, width);
    }
    report.bundles += 1;
    report.tiles += 1;
  }
  if (head != body.head) {
    return fail(Errc::chain_broken, "{}: the head is not the hash of entry {} in the bundles", checkpoint_path.string(),
                size);
  }
  if (builder.root() != *body.root) {
    return fail(Errc::chain_broken, "{}: the Merkle root is not the root of the tree of the entry bundles",
                checkpoint_path.string());
  }
  // Levels 1 and up: every tile the checkpoint's size implies, against the recomputed subtrees.
  for (int level = 1; level_count(size, level) > 0; ++level) {
    const int64_t count = level_count(size, level);
    const auto &hashes = levels.at(static_cast<std::size_t>(level));
    for (int64_t n = 0; n * tile_width < count; ++n) {
      const int width = static_cast<int>(std::min<int64_t>(tile_width, count - n * tile_width));
      const auto name = tile_path(level, n, width);
      const auto tile = TRY(read_tile(name));
      if (tile.size() != static_cast<std::size_t>(width) * hash_size) {
        return fail(Errc::chain_broken, "{}: {} bytes, not the {} of {} hashes", (folder / name).string(), tile.size(),
                    width * hash_size, width);
      }
      for (int i = 0; i < width; ++i) {
        const auto &expected = hashes.at(static_cast<std::size_t>(n * tile_width + i));
        if (std::memcmp(tile.data() + static_cast<std::size_t>(i) * hash_size, expected.data(), hash_size) != 0) {
          return fail(Errc::chain_broken, "{}: hash {} is not the tree's", (folder / name).string(), i);
        }
      }
      ++report.tiles;
    }
  }
  return report;
}

} // namespace complycli::auditlog
