#include "witness/witness.hpp"

#include "util/file.hpp"
#include "util/hex.hpp"
#include "util/unique_fd.hpp"

#include <charconv>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

namespace complycli::witness {

namespace fs = std::filesystem;

namespace {

constexpr uint8_t cosignature_type = 0x04;
constexpr std::string_view private_prefix = "PRIVATE+KEY+";
constexpr std::string_view em_dash_space = "\xe2\x80\x94 ";

std::array<uint8_t, 4> cosigner_key_id(std::string_view name, std::span<const uint8_t, 32> key)
{
  std::string data(name);
  data.push_back('\n');
  data.push_back(static_cast<char>(cosignature_type));
  data.append(reinterpret_cast<const char *>(key.data()), key.size());
  std::array<uint8_t, 32> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const uint8_t *>(data.data()), data.size());
  return {digest[0], digest[1], digest[2], digest[3]};
}

std::vector<std::string_view> split_lines(std::string_view text)
{
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    out.push_back(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
  }
  return out;
}

std::string state_name(std::string_view origin)
{
  std::array<uint8_t, 32> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const uint8_t *>(origin.data()), origin.size());
  return util::to_hex(std::span<const uint8_t>(digest.data(), 16));
}

std::string cosigned_message(uint64_t timestamp, std::string_view body)
{
  return fmt::format("cosignature/v1\ntime {}\n{}", timestamp, body);
}

// An exclusive lock on the folder's lock file for the duration of one add-checkpoint.
class FolderLock {
public:
  explicit FolderLock(const fs::path &folder) : m_fd(::open((folder / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600))
  {
    if (m_fd.valid()) {
      ::flock(m_fd.get(), LOCK_EX);
    }
  }
  bool ok() const { return m_fd.valid(); }

private:
  util::UniqueFd m_fd;
};

struct SecretKey {
  CosignerKey pub;
  std::array<uint8_t, 64> secret{};
  ~SecretKey() { sodium_memzero(secret.data(), secret.size()); }
};

Result<std::unique_ptr<SecretKey>> load_secret(const fs::path &folder)
{
  auto text = TRY(util::read_file(folder / "witness.key"));
  std::string_view line(text);
  while (!line.empty() && line.back() == '\n') {
    line.remove_suffix(1);
  }
  auto bad = [&]() -> Result<std::unique_ptr<SecretKey>> {
    sodium_memzero(text.data(), text.size());
    return fail(Errc::io, "{}: not a witness key", (folder / "witness.key").string());
  };
  if (!line.starts_with(private_prefix)) {
    return bad();
  }
  line.remove_prefix(private_prefix.size());
  const auto first = line.find('+');
  const auto second = line.find('+', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) {
    return bad();
  }
  auto material = auditlog::base64_decode(line.substr(second + 1));
  if (!material || material->size() != 33 || (*material)[0] != cosignature_type) {
    return bad();
  }
  auto key = std::make_unique<SecretKey>();
  key->pub.name = std::string(line.substr(0, first));
  crypto_sign_seed_keypair(key->pub.key.data(), key->secret.data(), material->data() + 1);
  sodium_memzero(material->data(), material->size());
  sodium_memzero(text.data(), text.size());
  key->pub.id = cosigner_key_id(key->pub.name, key->pub.key);
  return key;
}

Result<std::vector<auditlog::PublicKey>> trusted_logs(const fs::path &folder)
{
  const auto text = TRY(util::read_file(folder / "logs"));
  std::vector<auditlog::PublicKey> out;
  for (auto line : split_lines(text)) {
    if (!line.empty()) {
      out.push_back(TRY(auditlog::parse_vkey(line)));
    }
  }
  return out;
}

} // namespace

std::string CosignerKey::vkey() const
{
  std::vector<uint8_t> material{cosignature_type};
  material.insert(material.end(), key.begin(), key.end());
  return fmt::format("{}+{}+{}", name, util::to_hex(id), auditlog::base64_encode(material));
}

Result<CosignerKey> parse_cosigner_vkey(std::string_view text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  const auto first = text.find('+');
  const auto second = text.find('+', first == std::string_view::npos ? first : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) {
    return fail(Errc::usage, "not a witness key: expected NAME+KEYID+BASE64");
  }
  const auto material = auditlog::base64_decode(text.substr(second + 1));
  if (!material || material->size() != 33 || (*material)[0] != cosignature_type) {
    return fail(Errc::usage, "not a witness key: not an Ed25519 cosignature key (type 0x04)");
  }
  CosignerKey key;
  key.name = std::string(text.substr(0, first));
  std::copy(material->begin() + 1, material->end(), key.key.begin());
  key.id = cosigner_key_id(key.name, key.key);
  if (util::to_hex(key.id) != text.substr(first + 1, second - first - 1)) {
    return fail(Errc::usage, "not a witness key: its key ID does not match its name and key");
  }
  return key;
}

Result<CosignerKey> init(const fs::path &folder, const std::string &name,
                         const std::vector<auditlog::PublicKey> &log_vkeys)
{
  std::error_code ec;
  if (fs::exists(folder / "witness.key", ec)) {
    return fail(Errc::io, "{} already holds a witness", folder.string());
  }
  if (name.empty() || name.find_first_of("+ \n") != std::string::npos) {
    return fail(Errc::usage, "a witness name must be non-empty without spaces or '+': {}", name);
  }
  fs::create_directories(folder / "state", ec);
  if (ec) {
    return fail(Errc::io, "cannot create {}: {}", (folder / "state").string(), ec.message());
  }
  SecretKey key;
  std::array<uint8_t, 32> seed{};
  randombytes_buf(seed.data(), seed.size());
  crypto_sign_seed_keypair(key.pub.key.data(), key.secret.data(), seed.data());
  key.pub.name = name;
  key.pub.id = cosigner_key_id(name, key.pub.key);
  std::vector<uint8_t> material{cosignature_type};
  material.insert(material.end(), seed.begin(), seed.end());
  sodium_memzero(seed.data(), seed.size());
  auto text = fmt::format("{}{}+{}+{}\n", private_prefix, name, util::to_hex(key.pub.id),
                          auditlog::base64_encode(material));
  sodium_memzero(material.data(), material.size());
  auto written = util::write_file_atomic(folder / "witness.key", text, util::Overwrite::no, 0600);
  sodium_memzero(text.data(), text.size());
  TRY_VOID(std::move(written));
  std::string logs;
  for (const auto &log : log_vkeys) {
    logs += log.vkey() + "\n";
  }
  TRY_VOID(util::write_file_atomic(folder / "logs", logs, util::Overwrite::yes, 0644));
  TRY_VOID(util::write_file_atomic(folder / "witness.vkey", key.pub.vkey() + "\n", util::Overwrite::yes, 0644));
  return key.pub;
}

Result<CosignerKey> public_key(const fs::path &folder)
{
  const auto key = TRY(load_secret(folder));
  return key->pub;
}

Result<int64_t> recorded_size(const fs::path &folder, std::string_view origin)
{
  const auto path = folder / "state" / state_name(origin);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return int64_t{0};
  }
  const auto text = TRY(util::read_file(path));
  const auto body = TRY(auditlog::parse_checkpoint_text(text));
  return body.size;
}

std::string add_checkpoint_request(int64_t old_size, const std::vector<auditlog::Hash> &proof,
                                   std::string_view checkpoint)
{
  std::string out = fmt::format("old {}\n", old_size);
  for (const auto &hash : proof) {
    out += auditlog::base64_encode(hash) + "\n";
  }
  out += "\n";
  out += checkpoint;
  return out;
}

Result<AddResult> add_checkpoint(const fs::path &folder, std::string_view request, uint64_t timestamp)
{
  auto reply = [](int status, std::string body) -> Result<AddResult> { return AddResult{status, std::move(body)}; };
  const auto blank = request.find("\n\n");
  if (blank == std::string_view::npos || !request.starts_with("old ")) {
    return reply(400, "not an add-checkpoint request: an old size line, proof lines, a blank line, a checkpoint\n");
  }
  const auto head = split_lines(request.substr(0, blank + 1));
  const auto note = request.substr(blank + 2);
  int64_t old_size = 0;
  const auto number = head[0].substr(4);
  if (auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), old_size);
      ec != std::errc() || end != number.data() + number.size() || old_size < 0 ||
      (number.size() > 1 && number[0] == '0')) {
    return reply(400, "the old size is not a decimal number\n");
  }
  std::vector<auditlog::Hash> proof;
  for (std::size_t i = 1; i < head.size(); ++i) {
    const auto bytes = auditlog::base64_decode(head[i]);
    if (!bytes || bytes->size() != 32 || proof.size() >= 63) {
      return reply(400, fmt::format("line {}: not a base64 SHA-256 hash\n", i + 1));
    }
    auditlog::Hash hash{};
    std::copy(bytes->begin(), bytes->end(), hash.begin());
    proof.push_back(hash);
  }
  const auto origin = note.substr(0, note.find('\n'));
  const auto logs = TRY(trusted_logs(folder));
  const auditlog::PublicKey *log_key = nullptr;
  for (const auto &log : logs) {
    if (log.name == origin) {
      log_key = &log;
    }
  }
  if (log_key == nullptr) {
    return reply(404, fmt::format("unknown log {}\n", origin));
  }
  auto body = auditlog::open_checkpoint(note, *log_key);
  if (!body) {
    return reply(body.error().code == Errc::parse ? 400 : 403, body.error().message + "\n");
  }
  const auto text = TRY(auditlog::verify_note(note, *log_key));
  const auto root = body->root ? *body->root : body->head;
  if (old_size > body->size) {
    return reply(400, "the old size is larger than the checkpoint's\n");
  }
  if (body->size == 0 && root != auditlog::empty_root()) {
    return reply(422, "an empty checkpoint must have the empty tree's root\n");
  }

  FolderLock lock(folder);
  if (!lock.ok()) {
    return fail(Errc::io, "cannot lock {}", (folder / "lock").string());
  }
  const auto state_path = folder / "state" / state_name(origin);
  std::error_code ec;
  int64_t recorded = 0;
  auditlog::Hash recorded_root{};
  if (fs::exists(state_path, ec)) {
    const auto state_text = TRY(util::read_file(state_path));
    const auto state = TRY(auditlog::parse_checkpoint_text(state_text));
    recorded = state.size;
    recorded_root = state.root ? *state.root : state.head;
  }
  if (old_size != recorded) {
    return reply(409, fmt::format("{}\n", recorded));
  }
  if (old_size == 0) {
    if (!proof.empty()) {
      return reply(422, "a proof from size 0 must be empty\n");
    }
  } else if (old_size == body->size) {
    if (root != recorded_root) {
      return reply(422, fmt::format("split view: the witness cosigned another tree of size {}\n", old_size));
    }
  } else if (!body->root || !auditlog::verify_consistency(old_size, body->size, recorded_root, root, proof)) {
    return reply(422, fmt::format("inconsistent: the tree of size {} does not extend the one of size {} the "
                                  "witness cosigned (a fork or a split view)\n",
                                  body->size, old_size));
  }
  TRY_VOID(util::write_file_atomic(state_path, text, util::Overwrite::yes, 0644));
  const auto key = TRY(load_secret(folder));
  const auto message = cosigned_message(timestamp, text);
  std::array<uint8_t, 4 + 8 + 64> blob{};
  std::copy(key->pub.id.begin(), key->pub.id.end(), blob.begin());
  for (int i = 0; i < 8; ++i) {
    blob[static_cast<std::size_t>(4 + i)] = static_cast<uint8_t>(timestamp >> (56 - 8 * i));
  }
  crypto_sign_detached(blob.data() + 12, nullptr, reinterpret_cast<const uint8_t *>(message.data()), message.size(),
                       key->secret.data());
  return reply(200, fmt::format("{}{} {}\n", em_dash_space, key->pub.name, auditlog::base64_encode(blob)));
}

int count_cosignatures(std::string_view note, const std::vector<CosignerKey> &witnesses)
{
  const auto split_at = note.rfind("\n\n");
  if (split_at == std::string_view::npos) {
    return 0;
  }
  const auto text = note.substr(0, split_at + 1);
  int count = 0;
  for (const auto &witness : witnesses) {
    bool good = false;
    for (auto line : split_lines(note.substr(split_at + 2))) {
      if (!line.starts_with(em_dash_space)) {
        continue;
      }
      line.remove_prefix(em_dash_space.size());
      const auto space = line.find(' ');
      if (space == std::string_view::npos || line.substr(0, space) != witness.name) {
        continue;
      }
      const auto blob = auditlog::base64_decode(line.substr(space + 1));
      if (!blob || blob->size() != 4 + 8 + 64 || !std::equal(witness.id.begin(), witness.id.end(), blob->begin())) {
        continue;
      }
      uint64_t timestamp = 0;
      for (int i = 0; i < 8; ++i) {
        timestamp = (timestamp << 8) | (*blob)[static_cast<std::size_t>(4 + i)];
      }
      const auto message = cosigned_message(timestamp, text);
      if (crypto_sign_verify_detached(blob->data() + 12, reinterpret_cast<const uint8_t *>(message.data()),
                                      message.size(), witness.key.data()) == 0) {
        good = true;
      }
    }
    count += good ? 1 : 0;
  }
  return count;
}

} // namespace complycli::witness
