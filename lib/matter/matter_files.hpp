#pragma once

// File-level matter encryption over the crypto stream core: encrypt a path to FILE.cmply, decrypt by
// the matter named in the header, and move a file to the newest key version. Every
// output goes through util::AtomicFile: it appears complete and authenticated, or not at all.

#include "core/error.hpp"
#include "crypto/matter_file.hpp"
#include "crypto/secret.hpp"
#include "keystore/keystore.hpp"
#include "util/atomic_file.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace complycli::matter {

inline constexpr std::string_view file_suffix = ".cmply";

// Unwrapped data keys for one command, each unwrapped at most once.
class Keyring {
public:
  Keyring(const keystore::Keystore& store, keystore::Unlock unlock) : m_store(store), m_unlock(std::move(unlock)) {}

  // The matter a file header names. Errc::auth_failed if this workspace has no such matter.
  Result<keystore::Matter> matter_for(const crypto::MatterFileHeader& header) const;
  // The data key of `version` (Errc::auth_failed as in Keystore::unwrap).
  Result<const crypto::SecretBytes*> key(const keystore::Matter& matter, uint32_t version);
  // The Cobblestone input key of a file with `header`: the data key for format 1; for format 2 the key
  // derived from the header's ephemeral key and the version's X25519 secret key.
  Result<crypto::SecretBytes> input_key(const keystore::Matter& matter, const crypto::MatterFileHeader& header);

private:
  const keystore::Keystore& m_store;
  keystore::Unlock m_unlock;
  std::map<std::pair<keystore::MatterId, uint32_t>, crypto::SecretBytes> m_keys;
};

struct FileReport {
  std::string matter;                     // the matter's name
  crypto::MatterFileHeader header;        // of the file written (encrypt, reencrypt) or read (decrypt)
  crypto::StreamStats stats;
  uint32_t from_version = 0;              // reencrypt: the key version the file had
  bool unchanged = false;                 // reencrypt: already at the newest key version
  bool digest = false;                    // stats.ciphertext_sha256 was computed (Digest::sha256)
  uint8_t from_format = 0;                // reencrypt: the format version the file had
};

// The format a new file for `matter` gets: 2 when its newest key version has a public key (encrypting
// then needs no secret), 1 for a newest version made before format 2 (until `matter rotate`).
uint8_t format_for(const keystore::Matter& matter);

enum class RemoveSource { no, yes };

// The SHA-256 of the encrypted file (FileReport::digest) is computed only with Digest::sha256: it
// costs about twice the CPU of the encryption and runs on one core. The Cobblestone salt and key
// commitment (always in StreamStats) identify the encryption without it.
//
// Encrypt `input` ("-": standard input) to `output` ("-": standard output) under the newest key
// version of `matter`. In format 2 (format_for) only the matter's public key is used and `keyring` is
// never asked for a key; in format 1 the keyring unlocks the data key. With RemoveSource::yes the new file is decrypted back and compared with the
// input before it is committed, and the input is removed after the commit.
Result<FileReport> encrypt_file(const std::string& input, const std::string& output, const keystore::Matter& matter,
                                Keyring& keyring, util::Overwrite overwrite, RemoveSource remove_source,
                                crypto::Digest digest = crypto::Digest::none, const crypto::ProgressFn& progress = {});

// Decrypt `input` ("-": stdin) to `output` ("-": stdout; each chunk is written once it authenticates).
// The key comes from the matter and key version in the header; a file output appears only if the
// whole file authenticated.
Result<FileReport> decrypt_file(const std::string& input, const std::string& output, Keyring& keyring,
                                util::Overwrite overwrite, crypto::Digest digest = crypto::Digest::none,
                                const crypto::ProgressFn& progress = {});

// Re-encrypt `path` in place under its matter's newest key version, in format_for(matter) (a format 1
// file of the newest version is moved to format 2 when that version has a public key): old key -> new key through a pipe
// (no plaintext on disk), then the new file is decrypted and compared with the old one before it
// replaces it.
Result<FileReport> reencrypt_file(const std::string& path, Keyring& keyring, const crypto::ProgressFn& progress = {});

} // namespace complycli::matter
